"""The brief's three stacks (s3, lambda_functions, sagemaker_endpoints), composed of the
pipeline's parts: storage/, registration/, serving/, rollout/ and operations/.

compliance.py holds the acknowledgments several parts make; common.py the ARNs, IAM pieces
and log groups several parts build alike; pipeline_stack.py what the three stacks share.
"""
