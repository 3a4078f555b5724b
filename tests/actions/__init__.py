import logging

# Keep expected warnings (skipped plugins, failed ssh) out of test output.
logging.getLogger('mistral_clone.actions').addHandler(logging.NullHandler())
