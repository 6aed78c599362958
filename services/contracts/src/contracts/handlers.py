"""FastStream subscribers of the contracts service: one function per consumed event."""

from servicekit.inbox import EventHandlers

handlers = EventHandlers()
