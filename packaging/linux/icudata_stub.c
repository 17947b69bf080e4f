/* An empty ICU common-data library, built by build.spec on Linux in place of PySide6's 31 MB
 * libicudata.so.NN.
 *
 * Qt links ICU only for locale-aware collation, case mapping and legacy text codecs. With no
 * data ICU reports U_MISSING_RESOURCE_ERROR and Qt falls back to its own Unicode tables
 * (QString::compare, QString::toUpper, UTF-8/16/Latin-1 codecs), which is all this app needs.
 * The layout is ICU's own stubdata (icu4c/source/stubdata/stubdata.cpp): a CmnD header with an
 * empty table of contents. ICUDATA_ENTRY is passed on the command line, e.g. icudt73_dat.
 */
#include <stdint.h>

typedef struct {
    uint16_t headerSize;
    uint8_t magic1, magic2;
    struct {
        uint16_t size, reservedWord;
        uint8_t isBigEndian, charsetFamily, sizeofUChar, reservedByte;
        uint8_t dataFormat[4], formatVersion[4], dataVersion[4];
    } info;
    char padding[8];
    uint32_t count, reserved;
    struct {
        const char *nameOffset;
        const void *dataOffset;
    } toc[1];
} IcuDataHeader;

__attribute__((visibility("default"))) const IcuDataHeader ICUDATA_ENTRY = {
    32, 0xda, 0x27,
    {20, 0, 0 /* little endian */, 0 /* ASCII family */, 2, 0,
     {0x43, 0x6d, 0x6e, 0x44} /* "CmnD" */, {1, 0, 0, 0}, {0, 0, 0, 0}},
    {0, 0, 0, 0, 0, 0, 0, 0},
    0, 0,
    {{0, 0}},
};
