"""Write and check the demo posts: dataset/image_text_tag.csv and test_dataset/image_text_tag.csv.

The posts below were written by hand for the demo photos (see tools/make_demo_photos.py and the
PHOTOS.md files): captions as people post them, in English, Korean or both, and 2-5 lower-case
hashtags each, without '#'. As in the published AMNN data, captions mostly leave the hashtag words out.
This file is the data; running it only writes the two CSVs (columns image_names,tweets,hashtags)
and prints checks.

Usage (from the repository root):
    python tools/make_demo_posts.py           # write both CSVs, then check them
    python tools/make_demo_posts.py --check   # only check the CSVs on disk
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ["image_names", "tweets", "hashtags"]

# ---------------------------------------------------------------------------------------------
# Training posts, by photo in dataset/images
# ---------------------------------------------------------------------------------------------
TRAIN_POSTS = {
    "chelsea.jpg": [
        ("Those green eyes when she hears the treat bag from two rooms away", "cat catsofinstagram meow"),
        ("우리 첼시 눈빛 좀 보세요 간식 달라고 시위 중", "고양이 냥스타그램 집사"),
        ("Caught her mid-judgement. She has opinions about my Monday", "cat pets catsofinstagram"),
        ("Tabby stripes and zero chill", "cat catsofinstagram kitten"),
        ("퇴근하고 문 열자마자 마중 나와 있는 우리 집 주인님", "고양이 반려묘 냥스타그램 일상"),
        ("She sat still for exactly one photo and then knocked my pen off the desk", "cat meow pets daily"),
        ("Sunday nap interrupted by the camera, she is not impressed", "cat catsofinstagram pets weekend"),
        ("수염이 오늘따라 더 길어 보이는 건 기분 탓일까", "고양이 반려묘 집사"),
        ("Vet said she is perfectly healthy, just dramatic", "cat pets meow"),
        ("창가 햇살 받으면서 그루밍 끝내고 한 컷 찍어줬어요", "고양이 냥스타그램 반려묘 사진"),
        ("the stare of a creature who knows dinner is late", "catsofinstagram cat meow"),
        ("Adopted her three years ago today. best decision ever 우리 아기 사랑해", "cat pets 고양이 집사"),
        ("Nine years old and still acts like a kitten at 3am", "cat kitten pets"),
    ],
    "coffee.jpg": [
        ("Double shot before the standup. Survival mode", "coffee espresso morning"),
        ("오늘 아침은 진한 샷 한 잔으로 시작", "커피 카페 에스프레소"),
        ("That crema though. Found this little place around the corner and I am coming back", "coffee espresso cafe"),
        ("비 오는 날엔 역시 따뜻한 한 잔이 최고", "커피 카페스타그램 일상"),
        ("Red cup, wooden bar, tiny spoon. Perfect ten minutes", "coffee cafe coffeetime"),
        ("Not a latte person today, needed the strong stuff", "espresso coffee morning daily"),
        ("동네 단골 카페 사장님이 새 원두 들어왔다고 맛보라고 주셨어요", "카페 커피 카페스타그램"),
        ("Saturday plan: sit here, read, repeat", "coffee cafe weekend"),
        ("바리스타님 실력 최고 크레마가 살아있네", "에스프레소 커피 카페"),
        ("fuel for a long day of spreadsheets", "coffee coffeetime morning"),
        ("Saucer, spoon, sunshine on the table. 오늘 하루도 화이팅", "coffee 커피 morning 일상"),
        ("Third cup. I regret nothing", "coffee espresso coffeetime"),
    ],
    "astronaut.jpg": [
        ("Eileen Collins, the first woman to pilot the shuttle. Absolute legend", "astronaut nasa space history"),
        ("최초의 여성 우주왕복선 조종사 아일린 콜린스 사진을 보고 소름 돋았어요", "우주 nasa astronaut"),
        ("Orange suit, helmet on the arm, shuttle model in the back. What a portrait", "astronaut space nasa"),
        ("Showing this to my niece who wants to fly to the stars one day", "astronaut womeninstem space science"),
        ("어릴 때 꿈이 우주비행사였는데 이런 사진 보면 아직도 설레요", "우주 astronaut 과학"),
        ("She commanded STS-93. Read her story tonight and could not stop", "nasa astronaut history"),
        ("Official portraits from the 90s just hit different", "nasa space astronaut"),
        ("과학관 견학 갔다가 전시된 공식 초상 사진 찍어왔어요", "우주 과학 nasa"),
        ("The women who flew the shuttle: a thread", "womeninstem astronaut history"),
        ("The smile of someone who has seen Earth from orbit", "astronaut space science"),
        ("38 days in space total. 대단하다 진짜", "astronaut 우주 nasa"),
    ],
    "rocket.jpg": [
        ("Falcon 9 on the pad at dusk, DSCOVR on top. Goosebumps", "rocket spacex launch falcon9"),
        ("Cape Canaveral, lights on the towers, waiting for the countdown", "launch rocket spacex space"),
        ("발사대에 서 있는 팰컨9 진짜 압도적이다", "로켓 spacex 발사"),
        ("Scrubbed again because of the weather, but what a view of the pad", "rocket launch spacex"),
        ("카운트다운 기다리면서 찍은 사진 바람 때문에 연기됐지만 후회 없음", "로켓 발사 우주"),
        ("Blue hour at Launch Complex 40", "spacex falcon9 rocket"),
        ("First time seeing one in person. It is so much taller than it looks on stream", "rocket launch space"),
        ("DSCOVR heading out to L1, fingers crossed for a clean liftoff", "launch spacex space nasa"),
        ("새벽에 일어나서 라이브로 봤는데 너무 감동", "발사 로켓 spacex"),
        ("Four lightning towers and one very patient booster", "rocket falcon9 launch"),
        ("T minus 30 minutes. 심장이 두근두근", "launch 로켓 spacex"),
    ],
    "hubble_deep_field.jpg": [
        ("Every dot here is a whole island of stars. Every single one", "galaxy hubble universe"),
        ("허블이 찍은 가장 먼 하늘. 저 점 하나하나가 은하래요", "우주 hubble 천문학 은하"),
        ("Feeling very small tonight", "universe galaxy stars space"),
        ("The eXtreme Deep Field never gets old", "hubble astronomy galaxy"),
        ("밤하늘 좋아하는 사람이라면 이 사진은 꼭 봐야 해요", "우주 별 천문학"),
        ("Light that left these galaxies billions of years ago", "galaxy universe astronomy"),
        ("Made this my wallpaper and now my phone is a window to deep time", "hubble space galaxy"),
        ("교양 수업 시간에 본 사진인데 아직도 머릿속에 남아있어요", "천문학 우주 hubble"),
        ("A tiny patch of sky, ten thousand worlds", "universe hubble stars"),
        ("Stargazing club night: we talked about this image for an hour", "astronomy hubble space"),
    ],
    "hubble_deep_field_zoom.jpg": [
        ("Zoomed into the upper corner, those red smudges are some of the oldest galaxies we know", "galaxy hubble astronomy"),
        ("확대해 보니 은하 모양이 하나하나 다 달라요", "우주 천문학 별"),
        ("Spirals, blobs, and a few foreground points with diffraction spikes", "galaxy stars astronomy"),
        ("Cropped my favourite part of the deep field", "hubble galaxy universe"),
        ("이 작은 조각 안에도 수백 개의 은하가", "우주 hubble 은하"),
        ("Printing this one for the office wall", "space universe hubble"),
        ("the faint ones are the real stars of the show", "galaxy astronomy universe"),
        ("오늘 밤엔 별 보러 가고 싶다", "별 우주 일상"),
        ("Zoom 해서 보니까 별보다 galaxies가 더 많아 신기하다", "galaxy 우주 hubble"),
        ("새 배경화면 set 완료, deep space mood", "우주 space 일상"),
    ],
    "horse.jpg": [
        ("Finished the vinyl cut for the stable sign", "horse silhouette art"),
        ("실루엣 스티커 만들었어요 노트북에 붙일 예정", "말 그림 minimal"),
        ("Simple black shape, still somehow elegant", "horse silhouette minimal"),
        ("Logo draft for my sister's riding school", "horse equestrian drawing"),
        ("단순한데 자꾸 보게 되는 작품", "그림 말 art"),
        ("Practicing negative space, started with a horse", "drawing silhouette art"),
        ("Ears up, tail out. Stencil is ready for the fence", "horse silhouette equestrian"),
        ("미니멀한 포스터로 뽑아서 현관에 걸었어요", "minimal 그림 말"),
        ("laser cut coaster set, stable edition", "horse art minimal"),
        ("Decal 완성! 차 뒷유리에 붙일까 고민 중", "horse 그림 art"),
    ],
    "coins.jpg": [
        ("Greek silver found at Pompeii, each piece smaller than my thumbnail", "coins ancient history museum"),
        ("폼페이에서 나온 고대 그리스 동전들 박물관에서 한참 봤어요", "동전 박물관 역사"),
        ("Twenty-four faces of gods and kings in silver", "coins numismatics ancient"),
        ("The worn edges tell you how many hands they passed through", "coins history ancient"),
        ("박물관 특별전 다녀왔어요 생각보다 훨씬 작아서 놀람", "박물관 동전 역사 주말"),
        ("Collectors club field trip. Best Saturday in a while", "numismatics coins museum weekend"),
        ("Every row a different mint", "coins ancient numismatics"),
        ("역사책에서만 보던 걸 실제로 보니까 신기", "역사 동전 ancient"),
        ("2000 years old and still shiny enough to read", "ancient coins history"),
        ("Gallery lighting made them look like little moons", "museum coins photography"),
        ("Museum date with my dad, 아빠가 더 신나심", "museum 박물관 coins 주말"),
    ],
    "china.jpg": [
        ("Summer Palace from the hill, the lake went on forever", "travel china beijing temple"),
        ("둘째 날 이화원 언덕 올라가서 본 풍경", "여행 중국 베이징"),
        ("Climbed all those steps for this view and it was worth every one", "travel temple architecture"),
        ("Painted eaves, green tiles, haze over the water", "architecture temple china"),
        ("호수 위에 떠 있는 배랑 탑이 너무 그림 같았어요", "여행 건축 중국"),
        ("Day trip outside the city, pagoda on the hilltop", "travel asia temple"),
        ("A tower of incense above a lake. Still thinking about it", "temple china travel"),
        ("여름 휴가 앨범 정리하다가 제일 좋아하는 한 장", "여행 베이징 사진"),
        ("The detail on the roof beams is unreal", "architecture temple asia"),
        ("hazy afternoon, cicadas everywhere, best part of the trip", "travel beijing china"),
        ("Spring break in Beijing. 다음엔 가을에 와야지", "travel 여행 china"),
    ],
    "china_pagoda.jpg": [
        ("Closer look at the pagoda, every level painted by hand", "temple architecture china"),
        ("층층이 쌓인 지붕 색감이 진짜 예술", "건축 중국 여행"),
        ("Trees in front, tower behind, sky doing its best", "travel temple asia"),
        ("Nerd mode: count the brackets under those eaves", "architecture temple"),
        ("탑 앞에서 찍었는데 날씨가 좀 흐렸지만 분위기 있음", "여행 사원 베이징"),
        ("Red columns and gold trim, straight out of a painting", "temple china architecture"),
        ("lunch break view from the hill", "travel beijing temple"),
        ("답사 사진 정리 중인데 이 색감 어떡해", "건축 사원 여행"),
        ("Beijing day 3, 탑 꼭대기까지 계단 오르느라 다리 풀림", "travel 베이징 temple"),
        ("Golden hour는 아니었지만 still gorgeous", "architecture 여행 asia"),
    ],
    "flower.jpg": [
        ("First bloom of the season opened this morning", "flower dahlia garden"),
        ("엄마가 정원에서 키우신 건데 색이 너무 예쁘다", "꽃 달리아 꽃스타그램"),
        ("Petals like little spoons, all in perfect spirals", "flower nature dahlia"),
        ("Orange against dark leaves is my favourite colour combo", "flowers garden nature"),
        ("봄이 오긴 왔나봐요 베란다에 꽃이 피었어요", "꽃 봄 꽃스타그램"),
        ("Farmers market haul, could not resist this one", "flowers flower weekend"),
        ("macro mode on the new phone, testing on the garden", "flower photography nature"),
        ("꽃잎 하나하나가 다 살아있는 느낌", "꽃 달리아 사진"),
        ("Finally warm enough to sit outside with these", "spring garden flowers"),
        ("Dahlias are so underrated. 진짜 예쁨", "dahlia flower 꽃"),
        ("주말에 식물원 다녀왔어요", "꽃 봄 주말"),
        ("A little sunshine on a stem", "flower nature spring"),
    ],
    "camera.jpg": [
        ("Old school: tripod, coat, and a lot of patience", "camera blackandwhite photographer"),
        ("흑백으로 찍으니까 분위기가 완전 다르네", "흑백 camera 사진"),
        ("Framing the skyline across the field", "photographer camera bw"),
        ("Analog club outing, everyone brought their oldest gear", "film camera photography"),
        ("동호회 출사 다녀왔어요 다들 장비가 어마어마", "필름카메라 사진 흑백"),
        ("Monochrome mood for a grey afternoon", "blackandwhite bw photography"),
        ("Behind the lens for once. Thanks for the shot, buddy", "photographer camera photography"),
        ("삼각대 세우고 구도 잡는 중 바람이 너무 불어서 힘들었다", "camera 사진 photographer"),
        ("Classic portrait of a classic hobby", "camera blackandwhite film"),
        ("오랜만에 꺼낸 카메라, 역시 손맛이 다르다", "필름카메라 camera 일상"),
        ("Tripod life. 모노톤 필터는 사랑입니다", "camera 흑백 photography"),
    ],
    "retina.jpg": [
        ("Got my scan back today, doctor said everything looks healthy", "eye health retina"),
        ("건강검진에서 찍은 안저 사진 혈관이 이렇게 생겼구나", "건강검진 안과 눈"),
        ("This is the back of my left eye and I find it weirdly beautiful", "eye retina medical"),
        ("Annual check-up done, optic disc looking fine", "health eye 안과"),
        ("정기검진 다녀왔어요 다행히 이상 없음", "안과 눈 건강검진"),
        ("Blood vessels like a river map", "retina medical eye"),
        ("Optometry class today: reading fundus photos", "medical retina health"),
        ("시력 관리 잘 하세요 여러분 화면 너무 오래 보지 말고", "눈 health 일상"),
        ("so this is what the doctor sees with that bright light", "eye retina health"),
        ("Check-up 끝! 결과 정상이래요 다행", "건강검진 eye health"),
    ],
    "brick.jpg": [
        ("Found the most satisfying wall on my walk", "brick pattern texture"),
        ("담벼락 패턴 사진 모으는 취미 생겼어요", "벽돌 pattern 텍스처"),
        ("Long grey bricks in a herringbone-ish lean", "brick wall texture"),
        ("Grey on grey on grey. Appreciation post for boring surfaces", "wall minimal brick"),
        ("오래된 골목 담벼락인데 은근 감성 있음", "벽돌 wall 사진"),
        ("Background for my next poster", "texture pattern minimal"),
        ("the mortar lines are doing something to my brain", "brick pattern wall"),
        ("회색 벽 앞에서 사진 찍으면 다 예쁘게 나오는 이유", "wall 텍스처 minimal"),
        ("Hunting for surfaces downtown", "texture brick photography"),
        ("골목 산책하다 발견, the greys are perfect", "벽돌 texture photography"),
    ],
    "grass.jpg": [
        ("Lay down in the park and pointed the camera straight down", "grass nature green"),
        ("잔디밭에 누워서 찍은 사진 향긋한 냄새 나는 것 같아", "잔디 풀 초록"),
        ("Fresh blades after yesterday's rain", "grass green nature"),
        ("Study for a painting: the lawn", "texture grass"),
        ("공원 산책하다가 한 컷", "풀 잔디 일상"),
        ("Lawn mowed, finally. Smells like summer", "grass green"),
        ("the quiet kind of green", "nature green texture"),
        ("초록초록한 거 보니까 눈이 시원해진다", "초록 풀 nature"),
        ("Macro of the backyard for a background pack", "texture grass photography"),
        ("Picnic 가기 전에 상태 체크, 딱 좋다", "grass 잔디 weekend"),
    ],
    "gravel.jpg": [
        ("Side path finally done, two tonnes of pebbles later", "gravel stones garden"),
        ("자갈길 걷는 소리 좋아하는 사람", "자갈 ground 일상"),
        ("Every pebble a slightly different grey", "stones gravel texture"),
        ("Looking down on a hike, the trail was all loose rock", "gravel ground stones"),
        ("마당에 돌 깔았어요 주말 내내 삽질", "자갈 주말 garden"),
        ("Background pack, part three: underfoot", "texture ground pattern"),
        ("crunchy path to the lake", "gravel stones nature"),
        ("돌멩이 패턴 배경화면으로 딱", "자갈 pattern 텍스처"),
        ("Rock garden progress", "stones gravel garden"),
        ("New path in the backyard, 밟을 때 소리가 좋아", "gravel 자갈 garden"),
    ],
}

# ---------------------------------------------------------------------------------------------
# Test posts, by photo in test_dataset/images (different files from training: other crops)
# ---------------------------------------------------------------------------------------------
TEST_POSTS = {
    "chelsea_face.jpg": [
        ("Close up of the boss. Whiskers on point today", "cat catsofinstagram meow"),
        ("코 분홍색인 거 너무 귀여워 미치겠다", "고양이 냥스타그램 집사"),
        ("She woke me up at 5am and then posed like an angel", "cat pets catlover"),
        ("우리집 냥이 정면 샷 성공", "고양이 반려묘 사진"),
        ("Golden eyes, striped forehead, zero regrets", "catsofinstagram cat kitten"),
    ],
    "coffee_cup.jpg": [
        ("Little red cup, big attitude", "coffee espresso cafe"),
        ("출근 전 한 잔 안 마시면 하루가 안 굴러가요", "커피 morning 카페"),
        ("Short and strong, just how I like my meetings", "espresso coffee coffeetime"),
        ("카페 창가 자리에서 조용히 한 잔", "카페 커피 카페스타그램"),
        ("Next time I am trying their flat white", "coffee cafe flatwhite"),
    ],
    "astronaut_portrait.jpg": [
        ("Shuttle pilot, shuttle commander, role model", "astronaut nasa space"),
        ("우주비행사 공식 사진은 언제 봐도 멋있어", "우주 astronaut nasa"),
        ("Reading about STS-63 with my kids tonight", "astronaut space history"),
        ("Her smile says she already knows what Earth looks like from up there", "astronaut womeninstem science"),
        ("과학의 날 기념 포스팅", "우주 과학 nasa"),
    ],
    "rocket_pad.jpg": [
        ("Ready on the pad, towers all around it", "rocket spacex launch"),
        ("발사 직전 실물 크기 보고 입이 안 다물어짐", "로켓 발사 spacex"),
        ("Evening glow on the booster", "falcon9 rocket space"),
        ("Countdown holding at T minus 10. 긴장된다", "launch 로켓발사 spacex"),
        ("Space coast vibes tonight", "launch space rocket"),
    ],
    "hubble_deep_field_corner.jpg": [
        ("Another corner of the deep field, more galaxies than I can count", "galaxy hubble universe"),
        ("이 안에 별이 아니라 은하가 가득하다니", "우주 천문학 hubble"),
        ("Looking back in time, one pixel at a time", "astronomy galaxy deepfield"),
        ("Late night scrolling through NASA pictures again", "space universe stars"),
    ],
    "horse_mirrored.jpg": [
        ("Flipped the stencil for the other side of the barn", "horse silhouette art"),
        ("스티커 2탄 반대 방향 버전", "말 그림 minimal"),
        ("Trophy design for the spring show", "horse equestrian drawing"),
        ("black on white, nothing else needed", "silhouette minimal art"),
    ],
    "coins_rows.jpg": [
        ("Bottom two rows, the ones with the owls are my favourites", "coins ancient numismatics"),
        ("유리 진열장 너머로 찍은 고대 은화", "동전 박물관 역사"),
        ("Pompeii 유적에서 나온 silver들, 보존 상태 대박", "coins history museum"),
        ("Started collecting replicas after this visit", "numismatics coins antiques"),
    ],
    "china_lake.jpg": [
        ("Looking down at the lake from the pagoda terrace", "travel china beijing"),
        ("호수 풍경이 사진으로 다 안 담긴다", "여행 베이징 이화원"),
        ("Boats on the water, haze in the distance, tiles up close", "temple travel architecture"),
        ("Throwback to the Beijing trip. 또 가고 싶다", "travel 여행 china"),
        ("tower above the trees", "temple asia architecture"),
    ],
    "flower_closeup.jpg": [
        ("So many petals, so little time", "flower dahlia nature"),
        ("주황색 꽃 보고 기분 좋아지는 아침", "꽃 꽃스타그램 봄"),
        ("Garden update: the dahlias are winning", "garden flowers dahlia"),
        ("Macro shot, 필터 없음", "flower photography nature"),
        ("선물 받았어요 향기까지 좋음", "꽃 flowers 일상"),
    ],
    "camera_tripod.jpg": [
        ("Setting up the tripod on a windy field", "camera photographer photography"),
        ("흑백사진 특유의 감성 좋아", "흑백 사진 camera"),
        ("Gear check before the golden hour that never came", "camera film photographer"),
        ("Street and field, always carrying a camera", "streetphotography blackandwhite bw"),
    ],
    "brick_mirrored.jpg": [
        ("Another one for the collection", "brick wall texture"),
        ("회색 벽돌 패턴 배경으로 쓰기 좋음", "벽돌 pattern 벽돌벽"),
        ("Lines and lines and lines", "pattern minimal brick"),
        ("Walked past this every day for a year before I noticed it", "wall brick photography"),
    ],
}

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]")


def language(text: str) -> str:
    """'ko', 'en' or 'mixed' from the characters of a caption."""
    ko, en = bool(HANGUL.search(text)), bool(LATIN.search(text))
    return "mixed" if ko and en else ("ko" if ko else "en")


def write_csv(split: str, posts: dict) -> str:
    path = os.path.join(REPO_ROOT, split, "image_text_tag.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for image, rows in posts.items():
            for text, tags in rows:
                writer.writerow(["images/" + image, text, tags])
    return path


def check_split(split: str):
    """Check one CSV and print its summary; returns its tag counter."""
    import pandas as pd

    folder = os.path.join(REPO_ROOT, split)
    path = os.path.join(folder, "image_text_tag.csv")
    with open(path, "rb") as f:
        if f.read(3) == b"\xef\xbb\xbf":
            raise ValueError("%s starts with a BOM" % path)
    df = pd.read_csv(path, encoding="utf-8")
    if list(df.columns) != COLUMNS:
        raise ValueError("%s columns must be %s, got %s" % (path, COLUMNS, list(df.columns)))
    missing = sorted({p for p in df.image_names if not os.path.isfile(os.path.join(folder, p))})
    if missing:
        raise ValueError("%s names missing images: %s" % (path, missing))
    on_disk = sorted("images/" + n for n in os.listdir(os.path.join(folder, "images")))
    unused = sorted(set(on_disk) - set(df.image_names))
    if unused:
        raise ValueError("%s has photos without posts: %s" % (split, unused))

    tags = collections.Counter()
    langs = collections.Counter()
    echoed = 0
    for text, tag_str in zip(df.tweets, df.hashtags):
        row_tags = tag_str.split()
        if not 2 <= len(row_tags) <= 5:
            raise ValueError("%s: every post needs 2-5 tags, got %r" % (split, tag_str))
        if any(t != t.lower() or t.startswith("#") for t in row_tags):
            raise ValueError("%s: tags must be lower case without '#', got %r" % (split, tag_str))
        if len(set(row_tags)) != len(row_tags):
            raise ValueError("%s: repeated tag in %r" % (split, tag_str))
        tags.update(row_tags)
        langs[language(text)] += 1
        words = set(re.findall(r"\w+", text.lower()))
        echoed += any(t in words for t in row_tags)

    n = len(df)
    print("%s: %d posts, %d photos, %d distinct tags, %.1f tags/post" % (
        split, n, df.image_names.nunique(), len(tags), sum(tags.values()) / n))
    print("  posts per photo: %s" % ", ".join(
        "%s %d" % (os.path.basename(k), v) for k, v in df.image_names.value_counts().sort_index().items()))
    print("  language: %s" % ", ".join("%s %d (%.0f%%)" % (k, v, 100 * v / n) for k, v in sorted(langs.items())))
    print("  captions that repeat one of their own tags as a word: %d (%.0f%%)" % (echoed, 100 * echoed / n))
    return tags, n


def check() -> int:
    train_tags, _ = check_split("dataset")
    test_tags, n_test = check_split("test_dataset")
    rare = sorted(t for t, c in train_tags.items() if c < 2)
    print("training tags seen once (dropped at min_tag_count=2): %s" % (rare or "none"))
    unseen = sorted(set(test_tags) - set(train_tags))
    print("test tags not in training: %s" % unseen)
    share = sum(test_tags[t] for t in unseen) / sum(test_tags.values())
    print("  %.1f%% of test tag occurrences are unseen" % (100 * share))
    train_imgs = set(os.listdir(os.path.join(REPO_ROOT, "dataset", "images")))
    test_imgs = set(os.listdir(os.path.join(REPO_ROOT, "test_dataset", "images")))
    if train_imgs & test_imgs:
        raise ValueError("photos in both splits: %s" % sorted(train_imgs & test_imgs))
    size = 0
    for split in ("dataset", "test_dataset"):
        for root, _, files in os.walk(os.path.join(REPO_ROOT, split)):
            size += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("dataset/ + test_dataset/ on disk: %.2f MB" % (size / 1e6))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the CSVs on disk")
    args = parser.parse_args(argv)
    if not args.check:
        for split, posts in (("dataset", TRAIN_POSTS), ("test_dataset", TEST_POSTS)):
            print("wrote %s" % os.path.relpath(write_csv(split, posts), REPO_ROOT))
    return check()


if __name__ == "__main__":
    sys.exit(main())
