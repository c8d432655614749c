"""Events, sessions and sites, registration forms, review workflow, enrolment and tickets."""
