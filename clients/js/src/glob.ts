/**
 * Channel and subject patterns as the server reads them: case-sensitive shell globs, like
 * Python's fnmatchcase. `*` matches any run of characters (dots and the empty run included),
 * `?` one character, `[abc]`, `[a-z]` and `[!abc]` a class; an unclosed `[` is a literal.
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let out = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      out += "[\\s\\S]*";
    } else if (c === "?") {
      out += "[\\s\\S]";
    } else if (c === "[") {
      // a class runs to the next "]" that is not its first character; none: a literal "["
      let j = i + 1;
      if (pattern[j] === "!") j++;
      if (pattern[j] === "]") j++;
      while (j < pattern.length && pattern[j] !== "]") j++;
      if (j >= pattern.length) {
        out += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, j);
      let negate = false;
      if (body.startsWith("!")) {
        negate = true;
        body = body.slice(1);
      }
      body = body.replace(/\\/g, "\\\\").replace(/\^/g, "\\^").replace(/\[/g, "\\[").replace(/]/g, "\\]");
      out += negate ? `[^${body}]` : `[${body}]`;
      i = j;
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  re = new RegExp(out + "$", "u");
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** True when `name` matches the glob `pattern`. */
export function globMatches(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}
