; Definitions for the outline: the definition node and its name.
(class_definition name: (identifier) @name) @class
(function_definition name: (identifier) @name) @function
