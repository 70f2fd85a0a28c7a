"""The webstack Pulumi program: config -> blueprint -> components -> resources -> outputs."""
