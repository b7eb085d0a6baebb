<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Receipt\CanonicalJson;
use Plasm\Receipt\StrictJson;

final class CanonicalJsonTests extends TestCase
{
    public function testSortsMembersWithoutWhitespace(): void
    {
        $v = StrictJson::decode('{ "b" : [ 1 , {"z": true, "a": null} ], "a" : "x" }');
        self::assertSame('{"a":"x","b":[1,{"a":null,"z":true}]}', CanonicalJson::encode($v));
    }

    public function testSortsKeysByUtf16CodeUnitsNotCodePoints(): void
    {
        // U+10000 is D800 DC00 in UTF-16, so it sorts before U+FFFF; by code point it would be after.
        $canonical = CanonicalJson::encode(["\u{FFFF}" => 1, "\u{10000}" => 2, 'a' => 3, "\u{e9}" => 4]);
        self::assertSame("{\"a\":3,\"\u{e9}\":4,\"\u{10000}\":2,\"\u{FFFF}\":1}", $canonical);
    }

    public function testEscapesStringsAsJsonStringify(): void
    {
        $s = "q\"b\\\x08\x0c\n\r\t\x01\x1f/é\u{2028}\x7f";
        self::assertSame("\"q\\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001f/é\u{2028}\x7f\"", CanonicalJson::encode($s));
    }

    public function testIntegersAreShortestDecimalWithinTwoToTheFiftyThree(): void
    {
        $edges = [0, -1, 9007199254740991, -9007199254740991];
        self::assertSame('[0,-1,9007199254740991,-9007199254740991]', CanonicalJson::encode($edges));
        $this->expectException(\UnexpectedValueException::class);
        CanonicalJson::encode([9007199254740992]);
    }

    public function testRefusesFloats(): void
    {
        $this->expectException(\UnexpectedValueException::class);
        CanonicalJson::encode(['a' => 1.5]);
    }

    public function testArgumentHashesAreTheReceiptsOnes(): void
    {
        // The vectors' inputs.argsSha256 for no arguments, and a hello run's for ["world"].
        self::assertSame('4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945', CanonicalJson::sha256([]));
        $world = '20070565cb9d37351a953f6c3e495930be555cf8b0dd6046e590e530bd8316b8';
        self::assertSame($world, CanonicalJson::sha256(['world']));
    }

    public function testTheVectorsSettingsHashToTheirSettingsSha256(): void
    {
        foreach (['valid-hello.json', 'valid-hello-deterministic.json'] as $file) {
            $r = StrictJson::decode((string) file_get_contents(\Plasm\Tests\Paths::vectors() . "/$file"));
            self::assertSame($r->get('settingsSha256'), CanonicalJson::sha256($r->get('settings')), $file);
        }
    }
}
