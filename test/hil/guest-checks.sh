#!/bin/sh
# Runs inside the HIL guest, from the repository's root, for test/hil/hil.test.ts:
# every check in one boot, because booting is the slow part. Prints
# `@fact <name> <value>` lines for the test to judge and leaves recordings in
# $CLASSCAM_HIL_OUTPUT (shared with the host) for the host's ffprobe. It judges
# nothing itself, so a missing device shows up as a wrong fact, not a crash.
set -u
out=${CLASSCAM_HIL_OUTPUT:?the rig shares an output directory}
fact() { printf '@fact %s %s\n' "$1" "$2"; }
step() { printf '\n== %s (at %s s)\n' "$1" "$(cut -d' ' -f1 /proc/uptime)"; }

step "1. the kernel's virtual devices"
if [ -c /dev/video0 ]; then fact video0.device char; else fact video0.device missing; fi
fact video0.name "$(cat /sys/class/video4linux/video0/name 2>/dev/null)"
fact video0.driver "$(basename "$(readlink /sys/class/video4linux/video0/device/driver 2>/dev/null)" 2>/dev/null)"
fact alsa.cards "$(cat /proc/asound/card*/id 2>/dev/null | tr '\n' ' ')"
fact gpio.chips "$(cat /sys/class/gpio/gpiochip*/label 2>/dev/null | tr '\n' ' ')"

step "2. the rig's GPIO chip as the device daemon uses it: a lamp, a button with edges"
node --import=tsx test/hil/guest-gpio.ts
fact gpio.status $?

step "3. ffmpeg records the camera and a tone played into the loopback"
# The tone plays into the loopback's playback side; once that stream runs,
# what ffmpeg captures from the other side is the tone, not silence.
ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -ac 2 -f alsa hw:Loopback,0,0 &
tone=$!
waited=0
until grep -q RUNNING /proc/asound/Loopback/pcm0p/sub0/status 2>/dev/null; do
  if ! kill -0 "$tone" 2>/dev/null || [ "$waited" -ge 600 ]; then break; fi
  sleep 0.1
  waited=$((waited + 1))
done
fact tone.playing "$(grep -q RUNNING /proc/asound/Loopback/pcm0p/sub0/status 2>/dev/null && echo yes || echo no)"
ffmpeg -nostdin -hide_banner -loglevel warning -y \
  -thread_queue_size 64 -f v4l2 -input_format yuyv422 -video_size 640x480 -i /dev/video0 \
  -thread_queue_size 64 -f alsa -channels 2 -sample_rate 48000 -i hw:Loopback,1,0 \
  -t 3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac "$out/capture.mkv"
fact capture.status $?
kill "$tone" 2>/dev/null

step "4. the v4l2-camera addon against vivid"
if [ -f test/native/real.test.ts ]; then
  CLASSCAM_REQUIRE_VIVID=1 node_modules/.bin/tap test/native/real.test.ts
  fact native.status $?
else
  echo "test/native/real.test.ts does not exist yet"
  fact native.status absent
fi

step "5. the device daemon on its linux backend: vivid, the loopback, the GPIO lamp and button"
node --conditions=classcam-source --import=tsx test/hil/guest-daemon.ts
fact daemon.status $?

step "done"
