import { test } from "node:test";
import assert from "node:assert/strict";
import { globMatches, literalGlob, uidText, ulid, replySubject, exceptionSubject } from "../dist/index.js";

test("globs match as the server's fnmatchcase does", () => {
  assert.ok(globMatches("order.*", "order.get.request"));
  assert.ok(globMatches("*", ""));
  assert.ok(globMatches("a?c", "abc"));
  assert.ok(!globMatches("a?c", "ac"));
  assert.ok(globMatches("[ab]x", "bx"));
  assert.ok(!globMatches("[!ab]x", "bx"));
  assert.ok(globMatches("[a-c]", "b"));
  assert.ok(globMatches("x[", "x[")); // an unclosed class is a literal
  assert.ok(globMatches("a.b", "a.b"));
  assert.ok(!globMatches("a.b", "axb")); // a dot is a dot
  assert.ok(!globMatches("Order", "order")); // case-sensitive
  assert.ok(globMatches("x-(y)+", "x-(y)+"));
  // classes as Python reads them (checked against fnmatchcase): a backwards range is dropped,
  // "!" left first by it negates, "]" first is a member, an empty class never matches
  assert.ok(!globMatches("[z-a]", "z"));
  assert.ok(!globMatches("[z-a]", "a"));
  assert.ok(globMatches("[z-a!x]", "b"));
  assert.ok(!globMatches("[z-a!x]", "x"));
  assert.ok(globMatches("[]a]", "]"));
  assert.ok(globMatches("[a-c-e]", "-"));
  assert.ok(!globMatches("[a-c-e]", "d"));
  assert.ok(globMatches("[^a]", "^"));
  assert.ok(globMatches("[!]", "!") === false && globMatches("[!]x", "!]x") === false);
});

test("a literal glob matches its pattern and nothing else", () => {
  assert.equal(literalGlob("orders.*"), "orders.[*]");
  assert.ok(globMatches(literalGlob("orders.*"), "orders.*"));
  assert.ok(!globMatches(literalGlob("orders.*"), "orders.x"));
  assert.ok(globMatches(literalGlob("a?[b]"), "a?[b]"));
});

test("ulids are 16 bytes, time first, and print as 26 Crockford characters", () => {
  const a = ulid(1700000000000);
  assert.equal(a.length, 16);
  const text = uidText(a);
  assert.match(text, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.ok(text.startsWith("01HF")); // 2023-11 in ULID time
  assert.notEqual(uidText(ulid()), uidText(ulid()));
  assert.ok(uidText(ulid(1)) < uidText(ulid(2)));
});

test("reply subjects follow the Java client's", () => {
  assert.equal(replySubject("add.request"), "add.reply");
  assert.equal(exceptionSubject("add.request"), "add.exception");
  assert.equal(replySubject("add"), "add.reply");
});
