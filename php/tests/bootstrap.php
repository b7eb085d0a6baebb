<?php

declare(strict_types=1);

// The tests load the SDK the way a project without Composer does.
require __DIR__ . '/../autoload.php';

spl_autoload_register(static function (string $class): void {
    if (strncmp($class, 'Plasm\\Tests\\', 12) === 0) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, 12)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

// Warnings and notices are failures, not noise.
set_error_handler(static function (int $severity, string $message, string $file, int $line): bool {
    if ((error_reporting() & $severity) === 0) {
        return false; // silenced with @ on purpose
    }
    throw new \ErrorException($message, 0, $severity, $file, $line);
});
