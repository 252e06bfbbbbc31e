"""Word lists of spec v3: what is never a product, software names, code cues, units, product words (lower-case)."""

from __future__ import annotations

import re

# Letter prefixes of tokens that are never products (spec v2, "Never products"): interfaces, buses,
# standards, units, terminals and parts, and the code/parameter words. Longer lower-case words of
# running text (sensor, status, overload...) are caught by shape instead (see products.plausible_model).
NEVER_PRODUCT = frozenset("""
rs ip ipv ac dc pt ntc ptc kty rj ul iec en iso gb din vde csa ce cat sil ple usb ddr com eth lan cia
can canopen ethercat profinet profibus modbus ethernet devicenet cclink mechatrolink sercos ssi biss endat
crc sha utf pcie nema gpio uart usart wlan http https tls ssl aes jpeg tpdo rpdo sync hall lipo
vfd vsd dcs rtu psu ipc
cn di do ai ao dio sw ch led lcd cpu mcu gpu fan pin tb jp db pg sb km qf fu hl ka kt io plc hmi pid pwm
vf svc foc agv amr cnc scara
kw kv kva hz khz mhz ms us ns mm cm nm mv ma va rpm kg dn bit bits byte bytes kb mb gb awg
err error fault alarm alm warn warning code al pn fn un pr pnu
no nr num ver rev vol fig tab sec page step item note axis joint sensor status line row col id sn
to at in on of for and or by is be as up max min typ set see per all off top low high out
""".split())

# Words of prose that stand before a number ("exceeds 3000", "within 100"): never a series word (spec v3: a
# series word and its model part are one model; these words are not series words in any case).
PROSE_BEFORE_NUMBER = frozenset("""
than with within from after before over under about above below between exceeds exceeded exceed reaches reached
reach approx approximately least most more less only every each last first next until since into onto than then
when while where which what this that these those their there here also again press check use using used replace
connect refer appendix see above total only about around nearly less greater lower higher firmware software package
the a an any all some no not per via its our your control controls system systems
whether if unless because although though whenever wherever once during
""".split())

# English product words: after a model they make it one (CR10 robot, M1 drive), as 系列/驱动器/机器人 do (spec v3).
# Written apart from the model, so they are never part of its normal form.
PRODUCT_WORDS_EN = ("robot", "robots", "cobot", "drive", "drives", "inverter", "inverters", "servo", "servos",
                    "controller", "controllers", "series", "amplifier", "arm", "vfd", "vsd")
# Product words after a model beside those of the normal form (normalize.PRODUCT_WORDS): 控制器 (controller).
PRODUCT_WORDS_ZH = ("控制器",)

# Software, firmware, protocol and operating-system names (spec v3: never products, nor their versions): the
# common ones; a catalog's ``software`` adds more. Lower-case, spaces and hyphens dropped.
SOFTWARE = frozenset("""
ros ros2 robotware robotstudio twincat twincat2 twincat3 codesys codesysv3 windows linux ubuntu debian android ios
macos python matlab simulink labview tiaportal step7 wincc somachine ecostruxure automationstudio sysmacstudio
cxprogrammer cxone gxworks gxworks2 gxworks3 melsoft ccsstudio studio5000 rslogix rslinx factorytalk connectedcomponents
kollmorgenworkbench workbench sigmawin sigmawinplus drivewizard mrconfigurator inoproshop inodriveshop asdasoft
rosbridge moveit gazebo rviz opcua mqtt dobotstudio polyscope urcap urscript karel roboguide
sinamicsstartdrive startdrive starter drivemonitor drivecomposer visualstudio vscode excel java
""".split())
# A name written right after these words is software (软件TwinCAT, firmware V2, 固件3.2): never a product.
SOFTWARE_CUES = ("软件", "軟體", "软体", "固件", "韌體", "版本", "software", "firmware", "package", "version", "ver")

# Standards numbered by a letter prefix that models also use: CANopen/CiA device profiles DS301, DS402
# (letters and exactly three digits; "DS5C" or "DS1104" may still be models).
STANDARD_NUMBERS = {"ds": 3}

# Words of running text that manuals write before an index (spec v2: "Error 2", "sensor 1", "Axis 3",
# "Analog input1"); a model's letters are not a dictionary word (xArm, ASDA, MADHT). Lower-case.
RUNNING_TEXT = frozenset("""
error fault alarm warning code status state sensor sensors overload axis axes step steps input inputs output
outputs joint joints motor motors channel port slot node station group level phase page table figure section
chapter version item items mode bit byte word line row column zone area index value number point position speed
torque current voltage temperature encoder drive drives servo robot link tool frame user program task job timer
counter register address parameter param event message type class option case example note test cycle pulse
signal relay switch button lamp light filter gain loop limit offset ratio time delay period retry pass unit module
card board slave master device controller analog digital terminal connector cable wire pin power supply brake
battery memory disk file data block pattern profile table array list set reset stage process layer part piece
zone area region field object entry record sample trial range scale class grade size series model serial number
""".split())

# A bare number is a code next to these cues (spec v2). Before it: Chinese cues directly, English ones
# as words, optionally followed by "code", "no." or "#"; after it: 故障/报警/错误, optionally after 号 (號).
CUES_BEFORE_ZH = ("报警码", "报警号", "报警代码", "故障码", "故障代码", "故障号", "错误码", "错误代码", "代码",
                  "报警", "报错", "出现", "显示", "提示", "故障", "错误", "告警", "警报", "报")
# The same cues as traditional-script manuals (Delta, Taiwan) write them.
CUES_BEFORE_ZH_HANT = ("報警碼", "報警號", "報警代碼", "故障碼", "故障代碼", "故障號", "錯誤碼", "錯誤代碼", "代碼",
                       "報警", "報錯", "出現", "顯示", "錯誤", "報")
CUES_BEFORE_EN = ("alarm", "error", "fault", "code", "err", "alm")
# A number right after these is a parameter number (spec v3: 参数2010, PNU 2010, parameter 238); English ones as words.
PARAMETER_CUES_ZH = ("参数", "參數", "功能码", "功能碼")
PARAMETER_CUES_EN = ("parameter", "pnu", "object")
# Before a negative number, these are code cues too (spec v3: SDKs return signed codes: 返回-4, returns -4).
SIGNED_CUES_ZH = ("返回值", "返回码", "返回碼", "返回")
SIGNED_CUES_EN = ("return value", "returned", "returns", "return")
CUES_AFTER = ("故障", "报警", "错误", "報警", "錯誤")
# A number right after these part nouns is an index (关节5错误: joint 5 has an error), never a code.
INDEX_NOUNS = ("关节", "轴", "通道", "端口", "节点", "电机", "模块", "站", "槽", "第", "序号",
               "關節", "軸", "節點", "電機", "模組", "序號")

# After a number, these make it a quantity, never a code: units, %, and Chinese measure words.
# After a number, "号"/"號" (or its shorthand "#") and a part noun make it an ordinal (3号轴, 1#电机: axis No. 3,
# motor No. 1), as 第 before it does.
_ORDINAL_NOUNS = ("轴", "軸", "电机", "電機", "关节", "關節", "站", "槽", "机", "機", "模块", "模組", "通道", "端口",
                  "节点", "節點", "泵")
# Latin letters beyond ASCII (ü, é, ß, ø, ă, ệ), as a regex class's ranges: a word of German, French or Vietnamese
# goes on through them ("5 Wärme" is no 5 W; "überprüfen" is one word, not the tokens "berpr" and "fen").
LATIN_BEYOND_ASCII = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
# The units and measure words that make a number a quantity (24V, 50hz, 10次), the one list of them.
_UNIT = (
    r"(?:[%‰°℃Ω]|(?:[kmμu]?(?:vdc|vac|v|a|w|hz|s|m|g|b|va|ohm)|mm|cm|nm|n·m|rpm|r/min|kg|[kmg]?bits?|bytes?|"
    r"kb|mb|[kmg]?bps|baud|h|min|secs?|seconds?|minutes?|hours?|times|ppr|pulses?|degrees?|db)"
    rf"(?![a-z{LATIN_BEYOND_ASCII}])"
    r"|[次个种台根条项行页章节轴路位倍度转圈年月日天秒分时周帧组把只件处段层级遍毫微伏安瓦赫米千万亿"
    r"個種臺條項頁節軸轉時幀組處層級萬億]|小[时時]|[号號#](?:" + "|".join(_ORDINAL_NOUNS) + "))"
)
# A unit after a number stands on the number's own line (spec v3: "ALARM 4321⏎M-..." is code 4321, not 4321 metres).
UNIT_AFTER = re.compile(r"[ \t]*" + _UNIT)
# A number with its unit glued, as one token (50hz, 24vdc, 3.5kw): a quantity, never a model's part.
QUANTITY = re.compile(r"\d+(?:\.\d+)*" + _UNIT)

# Words that, standing right before "N:", make it a step or a note, not a table row of codes.
ROW_NOT_AFTER = frozenset("step item note figure fig table tab page chapter section no ratio time version".split())

# Words, abbreviations (device classes too: CPU, PLC, HMI, VFD) and units of running text that fit the mnemonic
# shape (2-4 letters, at most 2 digits) and are never mnemonic codes where written in ordinary casing (OK, ON, RUN,
# CPU, LED, IGBT故障, "fault code"), on top of NEVER_PRODUCT and RUNNING_TEXT (terminals DI1/DO2, interfaces, units,
# cue words). A mixed case that no word of text has (FAn, bUS, oS) is a panel's code even so.
MNEMONIC_NEVER = NEVER_PRODUCT | RUNNING_TEXT | frozenset("""
ok ng on off run stop jog home hold auto man test pass fail true null none yes not no
the an and or nor but if so as at by to of in on up out off for from with into onto over than then that this
these those them they their there here when what who whom how why where which while also both only just some
any all each per via its it is are was were be been has had have do does did can may will must shall should
would could not new old one two six ten max min avg std set get put use used see add end top low high down
left next last open shut full half zero main sub key lock your you our we he she his her him me my
more most less such same other than very well much many few like make made need want wait load save read
data info mode menu type name list time date test case size rate gain unit area zone page line item note
code kind form idea view show help tips tip fix ref cfg conf spec
cpu mcu gpu dsp fpga ram rom sd usb plc hmi led lcd pc ipc igbt ipm mos sto sdo pdo tcp udp http ftp api sdk
vfd vsd dcs rtu psu
url sn os app ui fw hw wifi gps ups arm pwr enc emc emi esd gnd pe abs inc sos
fwd rev prg ent esc rst clr
vac vdc ohm deg rad bps kbps mbps ppr sec mins hrs
tx rx txd rxd rts cts kp ki kd kv kf ti td vcc vdd vss vin vout clk dir pul pls sig sda scl miso mosi sck nc fg shd
er crc rt imu temp cu adc dac ad da pll ecc spi uart rtc wdt nvm bus ecat sync comm hz ip65
""".split())

# Two-letter marks of standards, names of parts and abbreviations (CE, UL, PG, DI, OS) that inverter panels also
# show as fault codes (CE: a communication error, OS: overspeed): never mnemonics in running text ("CE marking",
# "the PG card") nor as a glossary's heading ("CE：欧盟认证"), but codes where only a code stands (spec v3): a table's
# code column beside other codes, brackets beside a numbered code, next to a code cue (故障码 CE, 显示CE, fault CE).
# Not words of text (ID, CH, SN).
PANEL_ABBREVIATIONS = frozenset("ce os ul en gb pt pg cn di ai ao sw tb jp sb qf fu hl kt vf rj rs".split())

# Common short English words (2-4 letters) that end a phrase after an English cue ("the fault log.", "error
# flag,"): a lower-case token there is a word, not a mnemonic, when it is one of these or MNEMONIC_NEVER's.
ENGLISH_SHORT = frozenset("""
able act add ago aid aim air also am an and any are arm art as ask at away back bad bar base be bear beat been
best big bill bit bits body book both box boy but buy by call came can car card care case cell cut city clear
cold come cost dark day dead deal dear deep did die does done door down draw drop dry due each east easy edge
else end even ever eye face fact fail fair fall far fast feel feet felt few file fill find fine fire firm fit
five flag flat flow fly food foot for form four free from full fund gave get give go goes gone good got grow
had half hand hang hard has have he head hear heat held help her here high him his hit hold home hope hot hour
how huge idea if in into is it item its join just keep kept key kill kind knew know lack land last late lead
left less let lie life lift like line link list live log long look lose loss lost lot love low made main make
many mark mask mass may me mean meet met mind miss mode more most move much must my name near need new news
next nice no none nor not note now odd of off often oil old on once one only open or our out over own page
paid pair part pass past path pay per pick plan play plus poor pull push put race rain ran rate read real rest
rich ride ring rise risk road rock role roll room root rule run safe said sale same save saw say seat see seem
seen self sell send sent set she ship shop shot show shut side sign site six size slow so soft sold some soon
sort spot star stay step stop such sum sure take talk task team tell ten term test text than that the them
then they thin this thus till time tiny to told too took top torn trip true try turn two type unit up upon us
use used user very view wait walk wall want was wash way we weak wear week well went were what when who whom
why wide will wind wish with word work yes yet you your zero zone
""".split())

