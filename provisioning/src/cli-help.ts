/** The `--help` texts of `classcam-provision` and each of its subcommands. */
import { DEFAULT_DATA_DIR } from "./bundle.js";
import { COLUMNS } from "./csv.js";

export const NAME = "classcam-provision";

// ------------------------------------------------------------------ help

const CONTROLLER_OPTIONS = `Controller (where the devices are enrolled):
  --controller URL     the controller's HTTP(S) address, e.g. https://controller.school.local:8443
                       (or CLASSCAM_CONTROLLER)
  --user ID            an account with the IT role (or CLASSCAM_USER); its password comes from
                       CLASSCAM_PASSWORD or is asked on the terminal — never as an argument
  --ca FILE            the school CA (tls init): trusted for the controller's HTTPS, and put in
                       each bundle as ca.pem — the device then trusts that CA and nothing else
                       (or CLASSCAM_CA)
  --mqtt URL           the address devices connect to; default mqtts://HOST:8883 with --ca,
                       else mqtt://HOST:1883 (HOST from --controller)`;

const HARDWARE_OPTIONS = `Box (written into the bundle; the daemon's defaults otherwise):
  --lamp-pin N             GPIO (BCM) line of the recording lamp (default 17)
  --lamp-active-low        the lamp lights on a low output
  --button-pin N           GPIO (BCM) line of the record button (default 27)
  --button-active-high     a press drives the line high (default: pulls it low)
  --camera-card NAME       which camera: its V4L2 card name (v4l2-ctl --info)
  --camera-driver NAME     … its V4L2 driver, e.g. uvcvideo
  --camera-bus INFO        … its V4L2 bus info, e.g. usb-0000:01:00.0-1.2 (the USB port)
  --camera-device PATH     a fixed node instead, e.g. /dev/video0 (not with the three above)
  --data-dir DIR           the buffer's folder on the box (default ${DEFAULT_DATA_DIR})
  --backend linux|sim      the box's hardware (default linux; sim for demos and tests)`;

export const HELP: Record<string, string> = {
  main: `Usage: ${NAME} <command> [options]

Enrol, rotate, retire and check classroom boxes against the school's
controller, and set up the school's TLS.

Commands:
  enrol ID --room ROOM --out DIR   enrol one box; write its configuration bundle
  bulk --csv FILE --out DIR        enrol many rooms from a CSV, with a summary
  rotate ID --bundle DIR           issue a new secret; the old one stops working
  retire ID --yes                  retire a box for good: it wipes its buffer
  check BUNDLE                     check a bundle and that the box can reach the controller
  tls init --out DIR --host NAME   create the school CA and the controller's certificate
  tls import --cert F --key F --ca F --out DIR
                                   take the school's own certificate, key and CA

Run '${NAME} <command> --help' for a command's options and examples.

Exit status: 0 done, 1 refused or failed (said why), 2 bad arguments,
3 (check) the box is retired.`,

  enrol: `Usage: ${NAME} enrol ID --room ROOM (--out DIR | --boot MOUNT) [options]

Enrols the box ID for ROOM: the controller issues a new secret, shown to no
one and stored there only as a hash; it goes straight into the box's
configuration bundle (device.json, and ca.pem with --ca). Everything is
checked before the controller is asked; a bundle is written whole or not at
all, never over another.

  ID                   the device id: lower-case letters, digits, hyphens (e.g. room-12)
  --room ROOM          the room's name as staff know it
  --out DIR            write the bundle into DIR (a new or empty folder)
  --boot MOUNT         write it to a Raspberry Pi SD card's boot partition (MOUNT/classcam);
                       install-device.sh picks it up there and removes it

${CONTROLLER_OPTIONS}

${HARDWARE_OPTIONS}

Examples:
  export CLASSCAM_CONTROLLER=https://controller.school.local:8443 CLASSCAM_USER=it-jo
  ${NAME} enrol room-12 --room "Room 12" --ca school-tls/ca.pem --boot /media/jo/bootfs
  ${NAME} enrol lab-2 --room "Science lab 2" --out bundles/lab-2 --ca school-tls/ca.pem \\
      --camera-card "HD Pro Webcam C920" --lamp-pin 22`,

  bulk: `Usage: ${NAME} bulk --csv FILE --out DIR [--all-or-nothing] [options]

Enrols every room of the CSV and writes each box's bundle to DIR/<device id>.
Every row is checked first (its fields, a bundle the box accepts, device ids
repeated in the CSV or already on the controller, a bundle already in DIR);
each problem is reported with its line number. The good rows then go
through, unless --all-or-nothing is given: then one bad row means nothing is
enrolled and nothing is written. A progress bar shows on a terminal, plain
lines otherwise; a summary closes.

  --csv FILE           the rooms; a header line, then one room per line
  --out DIR            where the bundles go (one folder per device)
  --all-or-nothing     enrol nothing unless every row is good

CSV columns (header names; room and deviceId required, the rest may be empty):
${Object.entries(COLUMNS)
  .map(([name, help]) => `  ${name.padEnd(16)} ${help}`)
  .join("\n")}
The options below give the values for columns a row leaves empty.

${CONTROLLER_OPTIONS}

${HARDWARE_OPTIONS}

Example (rooms.csv):
  room,deviceId,lampPin,cameraBus
  Room 1,room-1,,
  "Science lab 2, north",lab-2,22,usb-0000:01:00.0-1.2

  ${NAME} bulk --csv rooms.csv --out bundles --ca school-tls/ca.pem --all-or-nothing`,

  rotate: `Usage: ${NAME} rotate ID (--bundle DIR | --out DIR [options])

Issues a new secret for the box ID; the old one stops working at once (the
box is disconnected). The new secret goes into the box's bundle: --bundle
replaces it in an existing bundle folder (nothing else changes), --out
writes a new bundle from the options, as enrol does.

  --bundle DIR         the box's current bundle folder (or its device.json)
  --out DIR            a new bundle instead (with the box options below)

${CONTROLLER_OPTIONS}

${HARDWARE_OPTIONS}

Examples:
  ${NAME} rotate room-12 --bundle bundles/room-12
  ${NAME} rotate room-12 --out /media/jo/bootfs/classcam --ca school-tls/ca.pem`,

  retire: `Usage: ${NAME} retire ID --yes

Retires the box ID for good: its credentials stop working for anything but
being told it is retired. When it next connects (at once if it is online, or
at its next start) it stops recording, wipes its buffer, reports the wipe
(the controller's audit log records it) and never records again. Its id is
never reused. Footage still only on the box is lost: hold or upload what
must be kept first.

  --yes                retiring cannot be undone: say so

${CONTROLLER_OPTIONS}

Example:
  ${NAME} retire room-12 --yes`,

  check: `Usage: ${NAME} check BUNDLE [--no-connect] [--timeout SECONDS]

Checks a bundle (a folder with device.json, or the file itself) as the box
will load it, then connects to the controller as the box would — its
address, TLS trusting only the bundle's CA, its own secret — and says what
the controller answered: accepted, wrong or rotated-away secret, disabled,
retired, unreachable, or a TLS certificate from another CA. Run on the box
itself, it also finds a box that has retired itself.
Connecting replaces the box's own connection for a moment if it is running.

  --no-connect         check the bundle only
  --timeout SECONDS    how long to wait for the controller (default 10)

Exit status: 0 good, 1 a problem (said which), 2 bad arguments, 3 retired.

Example:
  ${NAME} check /media/jo/bootfs/classcam`,

  tls: `Usage: ${NAME} tls init --out DIR --host NAME [--host NAME…] [--ip ADDRESS…]
                         [--school NAME] [--days N]
       ${NAME} tls import --cert FILE --key FILE --ca FILE --out DIR

init creates a school CA (ca.pem, and its key ca.key, readable by you only)
and the controller's certificate (controller.pem, controller.key) signed by
it, for the host names and addresses given. import takes the school's own
certificate, key and CA instead, checks that they belong together (the key
is the certificate's, the certificate chains to the CA and is valid now),
and copies them into DIR. Both print the controller config lines to use them.

  --out DIR            a new or empty folder (a CA is never written over)
  --host NAME          a name the devices and browsers use for the controller (repeatable)
  --ip ADDRESS         an address they use (repeatable)
  --school NAME        shown in the certificates (default "School")
  --days N             the controller certificate's lifetime (default 825; the CA's is 10 years)

Examples:
  ${NAME} tls init --out school-tls --host controller.school.local --ip 10.0.0.5 \\
      --school "Hilltop Academy"
  ${NAME} tls import --cert server.crt --key server.key --ca school-root.pem --out school-tls`,
};
