"""FastStream subscribers of the catalog service: one function per consumed event."""

from servicekit.inbox import EventHandlers

handlers = EventHandlers()
