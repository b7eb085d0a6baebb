<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * A strict JSON parser for receipts (RFC 8259 with the rules of docs/receipts.md §2): duplicate keys
 * are errors (json_decode keeps the last one silently), numbers must be integers that fit in 64 bits
 * (json_decode would turn a fraction into a float and a huge integer into a rounded float), nothing
 * may follow the value, and the text must be UTF-8. Objects become JsonObject, arrays lists.
 *
 * @internal
 */
final class StrictJson
{
    private const MAX_DEPTH = 64;

    private int $pos = 0;
    private readonly int $len;

    private function __construct(private readonly string $text)
    {
        $this->len = strlen($text);
    }

    /**
     * @throws \UnexpectedValueException saying what is wrong and where
     */
    public static function decode(string $text): mixed
    {
        if (preg_match('//u', $text) !== 1) {
            throw new \UnexpectedValueException('not valid JSON: the text is not UTF-8');
        }
        $p = new self($text);
        $p->skipSpace();
        if ($p->pos >= $p->len) {
            throw new \UnexpectedValueException('not valid JSON: the text is empty');
        }
        $value = $p->value(0);
        $p->skipSpace();
        if ($p->pos !== $p->len) {
            throw $p->error('unexpected data after the JSON value');
        }
        return $value;
    }

    private function value(int $depth): mixed
    {
        if ($depth > self::MAX_DEPTH) {
            throw $this->error('nested deeper than ' . self::MAX_DEPTH . ' levels');
        }
        $c = $this->text[$this->pos] ?? '';
        switch ($c) {
            case '{':
                return $this->object($depth);
            case '[':
                return $this->array($depth);
            case '"':
                return $this->string();
            case 't':
                return $this->literal('true', true);
            case 'f':
                return $this->literal('false', false);
            case 'n':
                return $this->literal('null', null);
            default:
                if ($c === '-' || ($c >= '0' && $c <= '9')) {
                    return $this->number();
                }
                throw $this->error($c === '' ? 'the text ends where a value was expected' : "unexpected '$c'");
        }
    }

    private function object(int $depth): JsonObject
    {
        $this->pos++;
        $members = [];
        $this->skipSpace();
        if ($this->peek() === '}') {
            $this->pos++;
            return new JsonObject($members);
        }
        while (true) {
            if ($this->peek() !== '"') {
                throw $this->error('expected a member name in double quotes');
            }
            $keyAt = $this->pos;
            $key = $this->string();
            if (array_key_exists($key, $members)) {
                throw new \UnexpectedValueException("duplicate key '$key' at byte $keyAt");
            }
            $this->skipSpace();
            $this->expect(':');
            $this->skipSpace();
            $members[$key] = $this->value($depth + 1);
            $this->skipSpace();
            $c = $this->peek();
            $this->pos++;
            if ($c === '}') {
                return new JsonObject($members);
            }
            if ($c !== ',') {
                $this->pos--;
                throw $this->error("expected ',' or '}' in an object");
            }
            $this->skipSpace();
        }
    }

    /** @return list<mixed> */
    private function array(int $depth): array
    {
        $this->pos++;
        $items = [];
        $this->skipSpace();
        if ($this->peek() === ']') {
            $this->pos++;
            return $items;
        }
        while (true) {
            $items[] = $this->value($depth + 1);
            $this->skipSpace();
            $c = $this->peek();
            $this->pos++;
            if ($c === ']') {
                return $items;
            }
            if ($c !== ',') {
                $this->pos--;
                throw $this->error("expected ',' or ']' in an array");
            }
            $this->skipSpace();
        }
    }

    private function string(): string
    {
        $this->pos++;
        $out = '';
        while (true) {
            if (preg_match('/\G[^"\\\\\x00-\x1f]+/', $this->text, $m, 0, $this->pos) === 1) {
                $out .= $m[0];
                $this->pos += strlen($m[0]);
            }
            $c = $this->peek();
            if ($c === '"') {
                $this->pos++;
                return $out;
            }
            if ($c === '') {
                throw $this->error('the text ends inside a string');
            }
            if ($c !== '\\') {
                throw $this->error('a control character must be escaped in a string');
            }
            $e = $this->text[$this->pos + 1] ?? '';
            $this->pos += 2;
            $simple = ['"' => '"', '\\' => '\\', '/' => '/', 'b' => "\x08", 'f' => "\x0c",
                'n' => "\n", 'r' => "\r", 't' => "\t"];
            if (isset($simple[$e])) {
                $out .= $simple[$e];
                continue;
            }
            if ($e !== 'u') {
                $this->pos -= 2;
                throw $this->error('invalid escape in a string');
            }
            $unit = $this->hex4();
            if ($unit >= 0xD800 && $unit <= 0xDBFF) {
                if (substr($this->text, $this->pos, 2) !== '\\u') {
                    throw $this->error('a high surrogate must be followed by a low surrogate');
                }
                $this->pos += 2;
                $low = $this->hex4();
                if ($low < 0xDC00 || $low > 0xDFFF) {
                    throw $this->error('a high surrogate must be followed by a low surrogate');
                }
                $unit = 0x10000 + (($unit - 0xD800) << 10) + ($low - 0xDC00);
            } elseif ($unit >= 0xDC00 && $unit <= 0xDFFF) {
                throw $this->error('a lone low surrogate');
            }
            $out .= self::utf8($unit);
        }
    }

    private function hex4(): int
    {
        $h = substr($this->text, $this->pos, 4);
        if (strlen($h) !== 4 || !ctype_xdigit($h)) {
            throw $this->error('\\u needs four hex digits');
        }
        $this->pos += 4;
        return (int) hexdec($h);
    }

    private function number(): int
    {
        $at = $this->pos;
        if (preg_match('/\G-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/', $this->text, $m, 0, $this->pos) !== 1) {
            throw $this->error('malformed number');
        }
        $this->pos += strlen($m[0]);
        if (($m[1] ?? '') !== '' || ($m[2] ?? '') !== '') {
            throw new \UnexpectedValueException(
                "fractional or exponent number {$m[0]} at byte $at: receipts hold integers only"
            );
        }
        $digits = ltrim($m[0], '-');
        $negative = $m[0][0] === '-';
        // PHP_INT_MAX is 9223372036854775807 (19 digits); compare as strings to avoid float rounding.
        $limit = $negative ? '9223372036854775808' : '9223372036854775807';
        if (strlen($digits) > 19 || (strlen($digits) === 19 && strcmp($digits, $limit) > 0)) {
            throw new \UnexpectedValueException("integer {$m[0]} at byte $at is out of range");
        }
        return $negative && $digits === '9223372036854775808' ? PHP_INT_MIN : (int) $m[0];
    }

    private function literal(string $word, ?bool $value): ?bool
    {
        if (substr($this->text, $this->pos, strlen($word)) !== $word) {
            throw $this->error('unexpected token');
        }
        $this->pos += strlen($word);
        return $value;
    }

    private function expect(string $c): void
    {
        if ($this->peek() !== $c) {
            throw $this->error("expected '$c'");
        }
        $this->pos++;
    }

    private function peek(): string
    {
        return $this->text[$this->pos] ?? '';
    }

    private function skipSpace(): void
    {
        $this->pos += strspn($this->text, " \t\r\n", $this->pos);
    }

    private function error(string $what): \UnexpectedValueException
    {
        return new \UnexpectedValueException("not valid JSON: $what at byte {$this->pos}");
    }

    /** The UTF-8 bytes of a code point (no mbstring needed). */
    public static function utf8(int $cp): string
    {
        if ($cp < 0x80) {
            return chr($cp);
        }
        if ($cp < 0x800) {
            return chr(0xC0 | ($cp >> 6)) . chr(0x80 | ($cp & 0x3F));
        }
        if ($cp < 0x10000) {
            return chr(0xE0 | ($cp >> 12)) . chr(0x80 | (($cp >> 6) & 0x3F)) . chr(0x80 | ($cp & 0x3F));
        }
        return chr(0xF0 | ($cp >> 18)) . chr(0x80 | (($cp >> 12) & 0x3F))
            . chr(0x80 | (($cp >> 6) & 0x3F)) . chr(0x80 | ($cp & 0x3F));
    }
}
