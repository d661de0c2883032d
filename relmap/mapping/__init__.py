"""The mapping language, stage by stage: a YAML file is read (loader, yamlfile), checked against its
schema (schema, schemagen), compiled (compiler, templates, filters) into an inert CompiledMapping (compiled), and
rendered record by record (render, convert); coverage and explain look at the same stages from outside.
"""
