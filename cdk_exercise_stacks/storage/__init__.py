"""Storage: the model bucket and the bucket that receives its server access logs."""
