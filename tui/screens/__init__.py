"""The app's screens: one recording's day, a folder of days, the live view while recording."""
