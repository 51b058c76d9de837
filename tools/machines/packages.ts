// Every Debian package a server's user-data may install, for the machine image's local repository
// (a package missing here fails cloud-init's package step in the tests, as it would on a server
// whose mirror lacked it).

import { APP_PACKAGES } from "../../components/runtime/appServer";
import { DEBIAN_POSTGRES_VERSION, databasePackages } from "../../components/runtime/databaseServer";

export const MACHINE_PACKAGES: readonly string[] = [...new Set([...APP_PACKAGES, ...databasePackages(DEBIAN_POSTGRES_VERSION)])].sort();
