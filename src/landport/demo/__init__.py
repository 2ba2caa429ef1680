"""The demo port: enterprises, users and declarations that show every lane."""
