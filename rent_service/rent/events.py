"""Integration events rent_service publishes (topic `rentezy.payment`, key lease_id):
invoices issued, payments succeeded and failed, late fees applied, rent reminders due.

One `enqueue_<event>(...)` per type, called by the service function that makes
the change, inside its transaction (outbox_enqueue); the data is exactly the
type's schema in contracts/events/. auth_service/users/events.py is the model
to copy. Functions arrive with the features that publish them.

The handlers of other services' events live in `handlers.py`, never here.
"""
