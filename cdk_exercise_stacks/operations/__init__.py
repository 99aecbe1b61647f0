"""Operations: where alarms go (the alerts topic) and the pipeline's customer-managed keys."""
