"""The web widget: a help button any site embeds with one script tag (phone, hours, form, chat, call back)."""
