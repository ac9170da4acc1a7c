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
      out += classToRegExp(pattern, i + 1, j);
      i = j;
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  try {
    re = new RegExp(out + "$", "u");
  } catch {
    re = /(?!)/; // cannot happen for a class built above; never match rather than throw on every delivery
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/**
 * The class between `pat[i]` (after "[") and `pat[j]` (its "]"), read as Python's fnmatch reads
 * it (ported from fnmatch.translate): ranges split on "-", a backwards range ("z-a") dropped,
 * "!" first negates (also when a dropped range left it first), an empty class never matches and
 * a negated empty one matches any character.
 */
function classToRegExp(pat: string, i: number, j: number): string {
  let stuff = pat.slice(i, j);
  if (!stuff.includes("-")) {
    stuff = stuff.replace(/\\/g, "\\\\");
  } else {
    const chunks: string[] = [];
    let k = pat[i] === "!" ? i + 2 : i + 1;
    for (;;) {
      k = pat.indexOf("-", k);
      if (k < 0 || k >= j) break;
      chunks.push(pat.slice(i, k));
      i = k + 1;
      k = k + 3;
    }
    const chunk = pat.slice(i, j);
    if (chunk) chunks.push(chunk);
    else chunks[chunks.length - 1] += "-";
    for (let m = chunks.length - 1; m > 0; m--) {
      const prev = chunks[m - 1];
      if (prev[prev.length - 1] > chunks[m][0]) {
        chunks[m - 1] = prev.slice(0, -1) + chunks[m].slice(1);
        chunks.splice(m, 1);
      }
    }
    stuff = chunks.map((c) => c.replace(/\\/g, "\\\\").replace(/-/g, "\\-")).join("-");
  }
  if (!stuff) return "(?!)";
  if (stuff === "!") return "[\\s\\S]";
  let negate = false;
  if (stuff[0] === "!") {
    negate = true;
    stuff = stuff.slice(1);
  }
  // what a JavaScript class would read otherwise: "[" and "]" literally, "^" first
  stuff = stuff.replace(/[[\]]/g, "\\$&");
  if (!negate && stuff[0] === "^") stuff = "\\" + stuff;
  return negate ? `[^${stuff}]` : `[${stuff}]`;
}

/** A glob that matches exactly `pattern`, taken literally (for unsubscribe.channel). */
export function literalGlob(pattern: string): string {
  return pattern.replace(/[*?[]/g, (ch) => "[" + ch + "]");
}

/** True when `name` matches the glob `pattern`. */
export function globMatches(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}
