// Every helper of the shared test-support target, visible in every file of this target.
@_exported import TestSupport
