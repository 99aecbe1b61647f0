"""The brief's three stacks (lambda_functions, s3, sagemaker_endpoints) and their constructs."""
