<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * A JSON object as StrictJson parsed it: kept apart from JSON arrays, so that `{}` and `[]` never
 * become the same PHP value, with its members in document order.
 *
 * PHP turns decimal-integer keys such as "7" into integer array keys; keys() gives them back as the
 * strings they were, which is exact because PHP only converts strings that print back identically.
 */
final class JsonObject
{
    /** @param array<array-key, mixed> $members */
    public function __construct(public readonly array $members)
    {
    }

    public function has(string $key): bool
    {
        return array_key_exists($key, $this->members);
    }

    public function get(string $key): mixed
    {
        return $this->members[$key] ?? null;
    }

    /** @return list<string> */
    public function keys(): array
    {
        return array_map('strval', array_keys($this->members));
    }
}
