"""FastStream subscribers of the plans service: one function per consumed event."""

from servicekit.inbox import EventHandlers

handlers = EventHandlers()
