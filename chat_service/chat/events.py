"""Integration events chat_service publishes (topic `rentezy.chat`, key conversation_id):
messages sent.

One `enqueue_<event>(...)` per type, called by the service function that makes
the change, inside its transaction (outbox_enqueue); the data is exactly the
type's schema in contracts/events/. auth_service/users/events.py is the model
to copy. Functions arrive with the features that publish them.

It consumes no events; a consumer would get a `handlers.py`, never handlers here.
"""
