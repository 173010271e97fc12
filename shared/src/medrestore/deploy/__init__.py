"""MONAI Deploy application (``python -m medrestore.deploy.app``) and its DICOM writer.

``operators`` and ``app`` import the MONAI Deploy App SDK (``pip install -r requirements-deploy.txt``,
its own environment); ``dicom`` needs only pydicom.
"""
