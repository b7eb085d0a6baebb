<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Receipt\JsonObject;
use Plasm\Receipt\StrictJson;

final class StrictJsonTests extends TestCase
{
    public function testParsesObjectsArraysAndScalarsKeepingObjectsApartFromArrays(): void
    {
        $v = StrictJson::decode(' {"a": [1, -2, "x", true, false, null], "b": {}, "c": []} ');
        self::assertInstanceOf(JsonObject::class, $v);
        self::assertSame(['a', 'b', 'c'], $v->keys());
        self::assertSame([1, -2, 'x', true, false, null], $v->get('a'));
        self::assertInstanceOf(JsonObject::class, $v->get('b'));
        self::assertSame([], $v->get('c'));
    }

    public function testDecodesEscapesAndSurrogatePairs(): void
    {
        $v = StrictJson::decode('"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"');
        self::assertSame("a\"\\/\x08\x0c\n\r\té😀", $v);
    }

    public function testIntegerKeysComeBackAsTheStringsTheyWere(): void
    {
        $v = StrictJson::decode('{"7": 1, "07": 2}');
        self::assertSame(['7', '07'], $v->keys());
    }

    public function testTheFullSixtyFourBitRangeIsExact(): void
    {
        self::assertSame(PHP_INT_MAX, StrictJson::decode('9223372036854775807'));
        self::assertSame(PHP_INT_MIN, StrictJson::decode('-9223372036854775808'));
    }

    /** @return array<string, array{string, string}> */
    public static function malformed(): array
    {
        return [
            'duplicate key' => ['{"a": 1, "a": 2}', "duplicate key 'a'"],
            'nested duplicate key' => ['{"x": {"a": 1, "b": 2, "a": 3}}', "duplicate key 'a'"],
            'fraction' => ['{"a": 1.5}', 'fractional'],
            'exponent' => ['{"a": 1e3}', 'fractional or exponent'],
            'too large' => ['9223372036854775808', 'out of range'],
            'leading zero' => ['[01]', "expected ',' or ']'"],
            'trailing data' => ['{} {}', 'after the JSON value'],
            'truncated' => ['{"a": "b', 'ends inside a string'],
            'empty' => ['  ', 'empty'],
            'raw control character' => ["\"a\tb\"", 'control character'],
            'lone high surrogate' => ['"\\ud83d"', 'low surrogate'],
            'lone low surrogate' => ['"\\ude00"', 'lone low surrogate'],
            'bad escape' => ['"\\x41"', 'invalid escape'],
            'not UTF-8' => ["\"\xff\"", 'not UTF-8'],
            'single quotes' => ["{'a': 1}", 'member name'],
            'trailing comma' => ['[1,]', 'unexpected'],
            'bare word' => ['nul', 'unexpected token'],
            'too deep' => [str_repeat('[', 70) . str_repeat(']', 70), 'nested deeper'],
        ];
    }

    /** @dataProvider malformed */
    public function testRefusesWhatIsNotStrictJson(string $text, string $why): void
    {
        try {
            StrictJson::decode($text);
            self::fail("accepted $text");
        } catch (\UnexpectedValueException $e) {
            self::assertStringContainsString($why, $e->getMessage());
        }
    }
}
