import { describe, expect, it } from 'vitest';
import { JsonTooDeepError } from './json-errors';
import { endOfString, scanDepthAndUnsafeIntegers, topLevelArrayElements, topLevelStringField } from './json-scan';

const spans = (text: string) => topLevelArrayElements(text)?.map(([start, end]) => text.slice(start, end));

describe('endOfString', () => {
  it('finds the closing quote past escaped quotes and backslash runs; -1 when unterminated', () => {
    expect(endOfString('"ab"x', 0)).toBe(4);
    expect(endOfString('"a\\"b"x', 0)).toBe(6);
    expect(endOfString('"a\\\\"x', 0)).toBe(5);
    expect(endOfString('"a\\\\\\"b"', 0)).toBe(8);
    expect(endOfString('"abc', 0)).toBe(-1);
    expect(endOfString('"abc\\"', 0)).toBe(-1);
  });
});

describe('scanDepthAndUnsafeIntegers', () => {
  it('finds whole integer tokens beyond 2^53 outside strings only', () => {
    const text = '{"a":"12345678901234567890","b":12345678901234567890,"c":-9007199254740992,"d":9007199254740991,"e":1e12345678901234567,"f":12345678901234567.5}';
    expect(scanDepthAndUnsafeIntegers(text, 10).map(([s, e]) => text.slice(s, e))).toEqual(['12345678901234567890', '-9007199254740992']);
  });

  it('throws JsonTooDeepError at the first bracket past the bound', () => {
    expect(() => scanDepthAndUnsafeIntegers('[[[]]]', 2)).toThrow(JsonTooDeepError);
    expect(() => scanDepthAndUnsafeIntegers('[["[[[[["]]', 2)).not.toThrow();
  });
});

describe('topLevelArrayElements', () => {
  it('cuts the elements out without parsing them, whatever their depth', () => {
    expect(spans('[]')).toEqual([]);
    expect(spans(' [ 1 , "a,]" , {"b":[1,2]} ,null ] ')).toEqual(['1', '"a,]"', '{"b":[1,2]}', 'null']);
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(spans(`[{"x":1},${deep}]`)).toEqual(['{"x":1}', deep]);
  });

  it('is undefined for what is not one array', () => {
    for (const text of ['{}', '1', '[1,]', '[,1]', '[1', '[1] 2', '["a]', '']) expect(spans(text), text).toBeUndefined();
  });
});

describe('topLevelStringField', () => {
  it('reads a top-level string field, not one nested deeper', () => {
    expect(topLevelStringField('{"spec":{"processid":"inner"},"processid":"outer"}', 'processid')).toBe('outer');
    expect(topLevelStringField('{"spec":{"processid":"inner"}}', 'processid')).toBeUndefined();
    expect(topLevelStringField('{"note":"\\"processid\\":\\"fake\\"","processid":"real"}', 'processid')).toBe('real');
    expect(topLevelStringField('{"a":"processid","processid":"x"}', 'processid')).toBe('x');
    expect(topLevelStringField('{"proc\\u0065ssid" : "escaped"}', 'processid')).toBe('escaped');
  });

  it('works on text too deep or broken to parse, and refuses implausible values', () => {
    expect(topLevelStringField(`{"k":${'['.repeat(100_000)}, "processid":"x"`, 'processid')).toBeUndefined(); // still inside k
    expect(topLevelStringField(`{"processid":"x","k":${'['.repeat(100_000)}`, 'processid')).toBe('x');
    expect(topLevelStringField('{"processid":42}', 'processid')).toBeUndefined();
    expect(topLevelStringField('{"processid":""}', 'processid')).toBeUndefined();
    expect(topLevelStringField(`{"processid":"${'a'.repeat(300)}"}`, 'processid')).toBeUndefined();
    expect(topLevelStringField('{"processid":"a\\nb"}', 'processid')).toBeUndefined();
    expect(topLevelStringField('[{"processid":"x"}]', 'processid')).toBeUndefined();
    expect(topLevelStringField('xx{"processid":"x"}', 'processid', 2)).toBe('x');
  });
});
