<?php

declare(strict_types=1);

namespace Plasm\Tests;

/**
 * docs/receipts/vectors/manifest.json, for the tests that go through every vector.
 */
final class ReceiptVectorsData
{
    /** @return array<string, mixed> */
    public static function manifest(): array
    {
        $json = (string) file_get_contents(Paths::vectors() . '/manifest.json');
        return json_decode($json, true, 16, JSON_THROW_ON_ERROR);
    }

    /** @return array<string, array{array<string, mixed>}> */
    public static function vectors(): array
    {
        $out = [];
        foreach (self::manifest()['vectors'] as $v) {
            $out[$v['file']] = [$v];
        }
        return $out;
    }
}
