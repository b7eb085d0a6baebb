<?php

declare(strict_types=1);

namespace Plasm\Transport;

/**
 * A piece of a job's stdout or stderr read from an offset: the bytes, where the next read starts,
 * and whether the job had ended before the read (so nothing more will come).
 */
final class Output
{
    public function __construct(
        public readonly string $bytes,
        public readonly int $nextOffset,
        public readonly bool $complete
    ) {
    }
}
