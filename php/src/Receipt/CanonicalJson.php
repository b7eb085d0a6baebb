<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * RFC 8785 (JCS) canonical JSON for the values receipts hold (docs/receipts.md §3): members sorted
 * by UTF-16 code units, no whitespace, strings escaped as ECMAScript's JSON.stringify does, integers
 * of at most 2^53 - 1 in magnitude.
 *
 * Objects are JsonObject or PHP arrays that are not lists; lists are arrays. Floats are refused:
 * receipts hold no fractions.
 */
final class CanonicalJson
{
    public const MAX_SAFE_INTEGER = 9007199254740991;

    private function __construct()
    {
    }

    /**
     * @throws \UnexpectedValueException for a value receipts cannot hold (a float, a huge integer,
     *     a string that is not UTF-8, an object)
     */
    public static function encode(mixed $value): string
    {
        if ($value instanceof JsonObject) {
            return self::object($value->members);
        }
        if (is_array($value)) {
            return array_is_list($value) ? self::list($value) : self::object($value);
        }
        if (is_string($value)) {
            return self::string($value);
        }
        if (is_int($value)) {
            if ($value > self::MAX_SAFE_INTEGER || $value < -self::MAX_SAFE_INTEGER) {
                throw new \UnexpectedValueException("integer $value is outside ±(2^53 - 1)");
            }
            return (string) $value;
        }
        if (is_bool($value)) {
            return $value ? 'true' : 'false';
        }
        if ($value === null) {
            return 'null';
        }
        throw new \UnexpectedValueException('receipts hold no ' . get_debug_type($value) . ' values');
    }

    /** The lower-case hex SHA-256 of the canonical form. */
    public static function sha256(mixed $value): string
    {
        return hash('sha256', self::encode($value));
    }

    /** @param array<array-key, mixed> $members */
    private static function object(array $members): string
    {
        $keys = array_map('strval', array_keys($members));
        if (preg_match('/[\x80-\xff]/', implode('', $keys)) === 1) {
            // Beyond ASCII, UTF-8 byte order and UTF-16 order differ (above U+FFFF): sort by UTF-16.
            $units = array_combine($keys, array_map([self::class, 'utf16be'], $keys));
            usort($keys, static fn (string $a, string $b): int => strcmp($units[$a], $units[$b]));
        } else {
            sort($keys, SORT_STRING);
        }
        $parts = [];
        foreach ($keys as $k) {
            $parts[] = self::string($k) . ':' . self::encode($members[$k]);
        }
        return '{' . implode(',', $parts) . '}';
    }

    /** @param list<mixed> $items */
    private static function list(array $items): string
    {
        return '[' . implode(',', array_map([self::class, 'encode'], $items)) . ']';
    }

    private static function string(string $s): string
    {
        if (preg_match('//u', $s) !== 1) {
            throw new \UnexpectedValueException('a string is not valid UTF-8');
        }
        $short = ['"' => '\\"', '\\' => '\\\\', "\x08" => '\\b', "\x0c" => '\\f', "\n" => '\\n',
            "\r" => '\\r', "\t" => '\\t'];
        $escaped = preg_replace_callback(
            '/["\\\\\x00-\x1f]/',
            static fn (array $m): string => $short[$m[0]] ?? sprintf('\\u%04x', ord($m[0])),
            $s
        );
        return '"' . $escaped . '"';
    }

    /**
     * The UTF-16 big-endian form of a UTF-8 string: comparing these bytes compares UTF-16 code
     * units, the order RFC 8785 sorts keys by (it differs from code point order above U+FFFF).
     */
    public static function utf16be(string $s): string
    {
        if (preg_match('//u', $s) !== 1) {
            throw new \UnexpectedValueException('a string is not valid UTF-8');
        }
        $out = '';
        $n = strlen($s);
        for ($i = 0; $i < $n;) {
            $b = ord($s[$i]);
            if ($b < 0x80) {
                $cp = $b;
                $i += 1;
            } elseif ($b < 0xE0) {
                $cp = (($b & 0x1F) << 6) | (ord($s[$i + 1]) & 0x3F);
                $i += 2;
            } elseif ($b < 0xF0) {
                $cp = (($b & 0x0F) << 12) | ((ord($s[$i + 1]) & 0x3F) << 6) | (ord($s[$i + 2]) & 0x3F);
                $i += 3;
            } else {
                $cp = (($b & 0x07) << 18) | ((ord($s[$i + 1]) & 0x3F) << 12)
                    | ((ord($s[$i + 2]) & 0x3F) << 6) | (ord($s[$i + 3]) & 0x3F);
                $i += 4;
            }
            if ($cp >= 0x10000) {
                $cp -= 0x10000;
                $out .= pack('nn', 0xD800 | ($cp >> 10), 0xDC00 | ($cp & 0x3FF));
            } else {
                $out .= pack('n', $cp);
            }
        }
        return $out;
    }

    /** The length in UTF-16 code units, as Java's String.length() counts it. */
    public static function utf16Length(string $s): int
    {
        return intdiv(strlen(self::utf16be($s)), 2);
    }
}
