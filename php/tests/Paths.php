<?php

declare(strict_types=1);

namespace Plasm\Tests;

/**
 * Where the tests find the repository's files: the receipt vectors, the example and fixture modules.
 */
final class Paths
{
    public static function repo(): string
    {
        return dirname(__DIR__, 2);
    }

    public static function vectors(): string
    {
        return self::repo() . '/docs/receipts/vectors';
    }

    public static function hello(): string
    {
        return self::repo() . '/examples/hello.wasm';
    }

    /** A module of modules/plasm-test-fixtures, e.g. `probe`, `trap-unreachable`, `loop-br`. */
    public static function fixture(string $name): string
    {
        return self::repo() . "/modules/plasm-test-fixtures/src/main/resources/dev/plasm/fixtures/$name.wasm";
    }

    /** A fresh private directory, removed by removeTree(). */
    public static function tempDir(string $prefix): string
    {
        $dir = sys_get_temp_dir() . "/$prefix-" . bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        return $dir;
    }

    public static function removeTree(string $dir): void
    {
        if (!is_dir($dir) || is_link($dir)) {
            @unlink($dir);
            return;
        }
        foreach (scandir($dir) ?: [] as $f) {
            if ($f !== '.' && $f !== '..') {
                self::removeTree("$dir/$f");
            }
        }
        rmdir($dir);
    }
}
