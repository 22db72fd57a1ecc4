"""The portal's one human format for a moment (FORMAT_MODULE_PATH), so the admin's own fields match `when`.

24-hour clock with seconds and the viewer's zone abbreviation: "Nov 27, 2026, 17:12:56 UTC". Only
DATETIME_FORMAT is ours; every other format (input formats included) stays Django's English one.
"""

DATETIME_FORMAT = "M j, Y, H:i:s T"
