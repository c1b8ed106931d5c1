"""Books: one PDF of many detail sheets (a unit's, a fiscal year's), built in the
background.

A book is cut into chunks (``ordering``); each chunk is a task (reports/tasks.py) that
renders its sheets (``rendering``), reusing a sheet's earlier PDF when the sheet's
content has not changed (same fingerprint). A chunk holds a lease that its worker
renews after every sheet; a chunk whose lease ran out, or whose worker restarted, is
handed to another worker, and the task its dead worker left "running" is marked failed
(``recovery``). A worker asked to stop hands its chunk back after the current sheet.
Rendering a sheet twice is harmless, and the book is assembled from the chunks' final
lists, so every sheet appears exactly once. The last chunk to finish queues the
assembly (``assembly``): cover, table of contents (also the PDF's outline), then the
sheets. The modules queue tasks by name (``queue``), never importing reports.tasks,
which calls into them.
"""


class WorkerLost(Exception):
    """Recorded in the task table for a task whose worker died while running it."""
