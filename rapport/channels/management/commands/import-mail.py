"""`manage.py import-mail`: the same command as import_mail, under the name the migration guide uses."""

from rapport.channels.management.commands.import_mail import Command as ImportMailCommand


class Command(ImportMailCommand):
    pass
