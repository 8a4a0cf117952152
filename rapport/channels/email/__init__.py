"""Email: the SMTP listener, IMAP polling, parsing and threading of inbound mail, and outbound replies."""
