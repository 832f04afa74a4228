"""Loaders for the public labelled recordings in ``../shared/data``, in the project's units.

Each loader turns one trial of a public dataset into a :class:`~sensorkit.samples.SampleBlock` plus its
:class:`~sensorkit.samples.RecordingMeta`, and its reference labels into plain arrays or DataFrames, so
validation code and tests never deal with a dataset's native units or axis conventions. The data are
read in place and never copied into the project (see each folder's ``SOURCE.txt`` for the licence).
"""
