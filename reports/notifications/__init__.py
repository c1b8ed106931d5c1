"""Reminders and notifications: who is told what, when, in the portal and by mail.

- ``models``: in-app notifications, each user's choices, the record that makes every
  reminder go out once (``SentReminder``) and the outbox of mails (``OutgoingMail``).
- ``reminders``: the reminder pass over the Thai working calendar (``send_reminders``
  and the book workers run it).
- ``messages``: what a notification and a mail say, in the recipient's language.
- ``mail``: sending the outbox, with retries.
- ``reviews``: telling unit staff that a report was returned or accepted.
- ``unsubscribe``: signed links that turn a kind of mail off without signing in.
"""
