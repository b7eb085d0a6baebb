<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * One verification check and its result, e.g. `signature` passed, or `stdout` failed with the
 * hashes that differ.
 */
final class Check
{
    public function __construct(
        public readonly string $name,
        public readonly bool $passed,
        public readonly string $detail
    ) {
    }

    /** @return array{name: string, passed: bool, detail: string} */
    public function toArray(): array
    {
        return ['name' => $this->name, 'passed' => $this->passed, 'detail' => $this->detail];
    }
}
