"""Prefect flows: orchestration only, every step a cs_toolkit call. Installed with the package as
``cs_toolkit.flows`` (``cs_toolkit/flows`` links here), which is how ``prefect.yaml`` names them."""
