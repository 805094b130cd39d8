"""Design service, render worker and JupyterHub configuration: arrive with the platform issues."""
