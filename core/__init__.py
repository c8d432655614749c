"""Infrastructure shared by every package: extensions, model base, forms, errors, clock, audit,
access control, i18n and the job scheduler."""
