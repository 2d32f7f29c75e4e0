; Every comment in the file: stripped from signatures, kept as block comments in the
; curated view, and searched for the `# [HOT]` marker.
(comment) @comment
