"""FastStream subscribers of the orders service: one function per consumed event."""

from servicekit.inbox import EventHandlers

handlers = EventHandlers()
