<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * A receipt that is not well-formed (docs/receipts.md §2), naming the field at fault.
 *
 * @internal raised and caught inside the verifier, which reports it as the `format` check
 */
final class FormatException extends \UnexpectedValueException
{
    public function __construct(public readonly string $field, string $problem)
    {
        parent::__construct($field === '' ? $problem : "$field: $problem");
    }
}
