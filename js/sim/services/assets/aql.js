// A small AQL subset (§3.7): `attr op value` with =, ==, !=, IN, NOT IN, LIKE, NOT LIKE, IS [NOT] EMPTY,
// startswith, endswith; AND / OR / parentheses. Keywords, names and values are case-insensitive.
// Values: bare words or "double quoted" with \" for a quote; any other backslash is rejected (§13).
import * as E from "./errors.js";

const KEYWORDS = new Set(["and", "or", "in", "not", "is", "empty", "like", "startswith", "endswith"]);
const STOP = new Set([" ", "\t", "\n", "\r", "(", ")", ",", "=", "!", "<", ">", '"']);

export function tokenize(src) {
  const toks = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    const pos = i;
    if (c === '"') {
      let v = "";
      i++;
      for (;;) {
        if (i >= src.length) throw E.aqlSyntax(pos, "unterminated quoted value");
        const d = src[i];
        if (d === "\\") {
          if (src[i + 1] === '"') { v += '"'; i += 2; continue; }
          throw E.aqlSyntax(i, `unsupported escape sequence "\\${src[i + 1] ?? ""}"`);
        }
        if (d === '"') { i++; break; }
        v += d;
        i++;
      }
      toks.push({ t: "str", v, pos });
    } else if (c === "(" || c === ")" || c === ",") {
      toks.push({ t: c, pos });
      i++;
    } else if (c === "=") {
      i += src[i + 1] === "=" ? 2 : 1;
      toks.push({ t: "op", v: "=", pos });
    } else if (c === "!" && src[i + 1] === "=") {
      toks.push({ t: "op", v: "!=", pos });
      i += 2;
    } else if (c === "!" || c === "<" || c === ">") {
      throw E.aqlSyntax(pos, `unsupported operator "${c}"`);
    } else {
      let v = "";
      while (i < src.length && !STOP.has(src[i])) {
        if (src[i] === "\\") throw E.aqlSyntax(i, "backslash outside a quoted value");
        v += src[i++];
      }
      toks.push({ t: "word", v, pos });
    }
  }
  return toks;
}

export function parse(src) {
  const toks = tokenize(src);
  let k = 0;
  const peek = () => toks[k];
  const isKw = (tok, kw) => tok?.t === "word" && tok.v.toLowerCase() === kw;
  const end = () => src.length;
  const fail = (detail) => { throw E.aqlSyntax(peek()?.pos ?? end(), detail); };

  function value() {
    const tok = toks[k];
    if (tok?.t === "str" || (tok?.t === "word" && !KEYWORDS.has(tok.v.toLowerCase()))) { k++; return tok.v; }
    return fail(tok ? `expected a value, found "${tok.v ?? tok.t}"` : "expected a value, found end of query");
  }

  function list() {
    if (peek()?.t !== "(") fail("expected ( after IN");
    k++;
    const vals = [value()];
    while (peek()?.t === ",") { k++; vals.push(value()); }
    if (peek()?.t !== ")") fail("expected ) to close IN list");
    k++;
    return vals;
  }

  function clause() {
    const nameTok = toks[k];
    if (!nameTok || !(nameTok.t === "str" || (nameTok.t === "word" && !KEYWORDS.has(nameTok.v.toLowerCase())))) {
      fail(nameTok ? `expected an attribute name, found "${nameTok.v ?? nameTok.t}"` : "expected an attribute name, found end of query");
    }
    k++;
    const attr = nameTok.v;
    const tok = peek();
    if (tok?.t === "op") { k++; return { type: "cond", attr, op: tok.v, values: [value()], pos: nameTok.pos }; }
    if (isKw(tok, "in")) { k++; return { type: "cond", attr, op: "in", values: list(), pos: nameTok.pos }; }
    if (isKw(tok, "like") || isKw(tok, "startswith") || isKw(tok, "endswith")) {
      k++;
      return { type: "cond", attr, op: tok.v.toLowerCase(), values: [value()], pos: nameTok.pos };
    }
    if (isKw(tok, "not")) {
      k++;
      if (isKw(peek(), "in")) { k++; return { type: "cond", attr, op: "not in", values: list(), pos: nameTok.pos }; }
      if (isKw(peek(), "like")) { k++; return { type: "cond", attr, op: "not like", values: [value()], pos: nameTok.pos }; }
      fail("expected IN or LIKE after NOT");
    }
    if (isKw(tok, "is")) {
      k++;
      const not = isKw(peek(), "not");
      if (not) k++;
      if (!isKw(peek(), "empty")) fail("expected EMPTY");
      k++;
      return { type: "cond", attr, op: not ? "is not empty" : "is empty", values: [], pos: nameTok.pos };
    }
    return fail(tok ? `expected an operator, found "${tok.v ?? tok.t}"` : "expected an operator, found end of query");
  }

  function unary() {
    if (peek()?.t === "(") {
      k++;
      const e = or();
      if (peek()?.t !== ")") fail("expected )");
      k++;
      return e;
    }
    return clause();
  }

  function and() {
    const parts = [unary()];
    while (isKw(peek(), "and")) { k++; parts.push(unary()); }
    return parts.length === 1 ? parts[0] : { type: "and", parts };
  }

  function or() {
    const parts = [and()];
    while (isKw(peek(), "or")) { k++; parts.push(and()); }
    return parts.length === 1 ? parts[0] : { type: "or", parts };
  }

  if (toks.length === 0) throw E.aqlSyntax(0, "empty query");
  const ast = or();
  if (k < toks.length) fail(`unexpected "${peek().v ?? peek().t}"`);
  return ast;
}

/** Compare one condition against an object's values (lower-cased strings). */
export function test(op, have, want) {
  const eq = () => have.some((h) => want.includes(h));
  switch (op) {
    case "=": case "in": return eq();
    case "!=": case "not in": return !eq();
    case "like": return have.some((h) => h.includes(want[0]));
    case "not like": return !have.some((h) => h.includes(want[0]));
    case "startswith": return have.some((h) => h.startsWith(want[0]));
    case "endswith": return have.some((h) => h.endsWith(want[0]));
    case "is empty": return have.length === 0;
    case "is not empty": return have.length > 0;
    default: return false;
  }
}
