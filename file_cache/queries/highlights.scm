; Syntax colours of the window's code views. Where captures nest, the outer one wins (a string's
; interpolations stay string-coloured, a decorator is coloured whole).
(comment) @comment
(string) @string
(decorator) @decorator
[(integer) (float)] @number
[(none) (true) (false)] @constant
(function_definition name: (identifier) @function)
(class_definition name: (identifier) @type)
(type (identifier) @type)
((identifier) @self (#eq? @self "self"))
((call function: (identifier) @builtin)
 (#match? @builtin "^(abs|all|any|bool|bytes|callable|dict|dir|enumerate|filter|float|format|frozenset|getattr|hasattr|hash|id|input|int|isinstance|issubclass|iter|len|list|map|max|min|next|object|open|print|range|repr|reversed|round|set|setattr|sorted|str|sum|super|tuple|type|vars|zip)$"))
[
  "and" "as" "assert" "async" "await" "break" "class" "continue" "def" "del" "elif" "else" "except"
  "finally" "for" "from" "global" "if" "import" "in" "is" "lambda" "nonlocal" "not" "or" "pass" "raise"
  "return" "try" "while" "with" "yield" "match" "case" "print" "exec"
] @keyword
