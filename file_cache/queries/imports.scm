; Module names a file imports: `import a.b`, `from a.b import c`, `from . import x`, `from .m import y`.
(import_statement name: (dotted_name) @module)
(import_statement name: (aliased_import name: (dotted_name) @module))
(import_from_statement module_name: (dotted_name) @module)
(import_from_statement module_name: (relative_import) @relative)
(import_from_statement module_name: (relative_import) @relative name: (dotted_name) @relative_name)
