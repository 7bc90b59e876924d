#!/bin/sh
# Regenerates the demo video (MP4 and WebM) and its WebVTT captions. Needs ffmpeg and
# espeak-ng; the outputs are committed, so `syllabus demo` itself never needs either.
# Each slide shows the sentence its narration speaks, and the caption cue of that
# sentence spans exactly the slide, so captions, picture, sound and transcript agree.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
bold=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf

i=0
start=0
: > "$work/list.txt"
printf 'WEBVTT\n' > captions.vtt
while IFS='|' read -r heading sentence; do
    i=$((i + 1))
    espeak-ng -v en-gb -s 175 -w "$work/s$i.wav" "$sentence"
    speech=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/s$i.wav")
    length=$(echo "$speech + 0.4" | bc -l | xargs printf '%.1f')
    printf '%s\n' "$sentence" | fold -s -w 44 > "$work/t$i.txt"
    ffmpeg -nostdin -v error -y -f lavfi -i "color=c=0x1f3a5f:s=640x360:r=10:d=$length" \
        -i "$work/s$i.wav" -filter_complex "[1:a]apad[a];[0:v]drawtext=fontfile=$bold:text='$heading':fontcolor=white:fontsize=34:x=40:y=60,drawtext=fontfile=$font:textfile=$work/t$i.txt:fontcolor=0xf4f1e8:fontsize=24:line_spacing=10:x=40:y=150,drawtext=fontfile=$font:text='Syllabus':fontcolor=0x9fb7d4:fontsize=18:x=40:y=320[v]" \
        -map "[v]" -map "[a]" -t "$length" -c:v libx264 -pix_fmt yuv420p -c:a pcm_s16le "$work/p$i.mkv"
    echo "file 'p$i.mkv'" >> "$work/list.txt"
    end=$(echo "$start + $length" | bc -l)
    stamp() { printf '00:%02d.%03d' "$(echo "$1 / 1" | bc)" "$(echo "($1 * 1000 % 1000) / 1" | bc)"; }
    printf '\n%d\n%s --> %s\n%s\n' "$i" "$(stamp "$start")" "$(stamp "$end")" "$sentence" >> captions.vtt
    start=$end
done <<'SLIDES'
Welcome|Welcome to Syllabus. A course is made of modules, and modules of lessons.
Three kinds of lessons|A lesson can be a text to read, a video to watch, or a file to download.
Completing lessons|Mark a text lesson done once you have read it; a video counts once mostly watched.
Picking up again|Your progress is saved, so you can always carry on where you left off.
SLIDES

ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$work/list.txt" -c copy "$work/all.mkv"
ffmpeg -nostdin -v error -y -i "$work/all.mkv" -c:v libx264 -preset veryslow -tune stillimage -crf 30 -g 20 \
    -pix_fmt yuv420p -r 10 -c:a aac -b:a 32k -ac 1 -movflags +faststart welcome.mp4
ffmpeg -nostdin -v error -y -i "$work/all.mkv" -c:v libvpx-vp9 -b:v 0 -crf 45 -row-mt 1 -g 20 \
    -c:a libopus -b:a 24k -ac 1 welcome.webm
sed -n '/-->/{n;p}' captions.vtt > transcript.txt
